/**
 * Generation-B protocol ids (spec genb.md 1.2): every one runs the token
 * handshake first, then the payload codec of its generation-A counterpart.
 *
 * @module
 */

/** Authenticated ParticipantInfo. */
export const AUTH_INFO = "/auki/auth/1/info/1.0.0";
/** The resource catalog, 0.2.0 rows. */
export const AUTH_RESOURCES_V2 = "/auki/auth/1/resources/0.2.0";
/** The resource catalog, 0.3.0 (0.2.0 rows plus message channels). */
export const AUTH_RESOURCES_V3 = "/auki/auth/1/resources/0.3.0";
/** Registry lookups, untagged 0.2.0 Get. */
export const AUTH_REGISTRIES_V2 = "/auki/auth/1/registries/0.2.0";
/** Registry lookups, `op`-tagged 0.3.0. */
export const AUTH_REGISTRIES_V3 = "/auki/auth/1/registries/0.3.0";
/** Typed log streams. */
export const AUTH_STREAM = "/auki/auth/1/stream/0.2.0";

/** Every gen-B protocol auki-edge serves, sorted (as DDS advertisements list them). */
export const AUTH_PROTOCOLS: readonly string[] = [
  AUTH_INFO,
  AUTH_REGISTRIES_V2,
  AUTH_REGISTRIES_V3,
  AUTH_RESOURCES_V2,
  AUTH_RESOURCES_V3,
  AUTH_STREAM,
].sort();
