/**
 * The two encodings of info and join bodies (spec README decision 2): a body
 * whose first byte is `{` is JSON, any other protobuf.
 *
 * @module
 */

/** The wire encodings of join and info bodies. */
export type WireEncoding = "protobuf" | "json";
