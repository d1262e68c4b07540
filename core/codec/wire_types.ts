/**
 * Strict wire types for protobuf input from peers. protobuf-es reads a known
 * field by its declared type whatever wire type the sender used, so an
 * `int64` sent as a string decodes as some number (an empty one as 0);
 * prost, on the Rust side, rejects it. Checking the wire types first makes
 * such a message malformed here too.
 *
 * @module
 */
import {
  type DescField,
  type DescMessage,
  ScalarType,
} from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

function scalarWireType(type: ScalarType): WireType {
  switch (type) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LengthDelimited;
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
    case ScalarType.DOUBLE:
      return WireType.Bit64;
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.FLOAT:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

/** The wire types a field may arrive with (lists of numbers also packed). */
function allowedWireTypes(field: DescField): WireType[] {
  switch (field.fieldKind) {
    case "message":
    case "map":
      return [WireType.LengthDelimited];
    case "scalar":
      return [scalarWireType(field.scalar)];
    case "enum":
      return [WireType.Varint];
    case "list":
      if (field.listKind === "message") return [WireType.LengthDelimited];
      return [
        field.listKind === "enum"
          ? WireType.Varint
          : scalarWireType(field.scalar),
        WireType.LengthDelimited,
      ];
  }
}

/**
 * Where `bytes` (a `schema` message) carries a known field with a wire type
 * its declared type cannot have, as `message.field: wire type N, expected M`,
 * nested messages included; `undefined` when every known field matches.
 * Unknown fields are skipped; truncated input throws, as decoding would.
 */
export function wireTypeMismatch(
  schema: DescMessage,
  bytes: Uint8Array,
): string | undefined {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    const field = schema.fields.find((f) => f.number === number);
    if (field === undefined) {
      reader.skip(wireType, number);
      continue;
    }
    const allowed = allowedWireTypes(field);
    if (!allowed.includes(wireType)) {
      return `${schema.name}.${field.name}: wire type ${wireType}, expected ${
        allowed.join(" or ")
      }`;
    }
    const nested = field.fieldKind === "message"
      ? field.message
      : field.fieldKind === "list" && field.listKind === "message"
      ? field.message
      : undefined;
    if (nested !== undefined) {
      const inner = wireTypeMismatch(nested, reader.bytes());
      if (inner !== undefined) return inner;
    } else {
      reader.skip(wireType, number);
    }
  }
  return undefined;
}
