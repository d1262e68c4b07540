/**
 * JSON Schemas of protobuf messages as their proto3 JSON renders them, for
 * the `json` channels of payloads that have no Foxglove schema (UWB, CSI,
 * joints, time transforms, ...).
 *
 * @module
 */
import {
  type DescField,
  type DescMessage,
  ScalarType,
} from "@bufbuild/protobuf";

/** A JSON Schema document. */
export type JsonSchema = Record<string, unknown>;

/** The JSON Schema of `message`'s proto3 JSON form, titled with its type name. */
export function messageJsonSchema(message: DescMessage): JsonSchema {
  return { title: message.typeName, ...objectSchema(message, new Set()) };
}

function objectSchema(message: DescMessage, path: Set<string>): JsonSchema {
  if (path.has(message.typeName)) return { type: "object" };
  const inner = new Set(path).add(message.typeName);
  return {
    type: "object",
    properties: Object.fromEntries(
      message.fields.map((f) => [f.jsonName, fieldSchema(f, inner)]),
    ),
  };
}

function fieldSchema(field: DescField, path: Set<string>): JsonSchema {
  switch (field.fieldKind) {
    case "scalar":
      return scalarSchema(field.scalar);
    case "enum":
      return { type: "string" };
    case "message":
      return objectSchema(field.message, path);
    case "list":
      return {
        type: "array",
        items: field.listKind === "scalar"
          ? scalarSchema(field.scalar)
          : field.listKind === "enum"
          ? { type: "string" }
          : objectSchema(field.message, path),
      };
    case "map":
      return { type: "object" };
  }
}

function scalarSchema(scalar: ScalarType): JsonSchema {
  switch (scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return { type: "number" };
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      // proto3 JSON writes 64-bit integers as strings.
      return { type: "string", pattern: "^-?[0-9]+$" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
    default:
      return { type: "integer" };
  }
}
