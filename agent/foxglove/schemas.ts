/**
 * Foxglove message schemas (`@foxglove/schemas`) as protobuf: each schema's
 * FileDescriptorSet (what MCAP files and the Foxglove WebSocket protocol
 * carry as the schema of a `protobuf` channel) and the message descriptor
 * that encodes it. The descriptors are built from the package's schema
 * definitions with the numbering rules of its own `.proto` generator.
 *
 * @module
 */
import {
  create,
  createFileRegistry,
  type DescMessage,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  DescriptorProtoSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  type FieldDescriptorProtoSchema,
  file_google_protobuf_duration,
  file_google_protobuf_timestamp,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import {
  type FoxgloveEnumSchema,
  type FoxgloveMessageSchema,
  foxgloveMessageSchemas,
  type FoxglovePrimitive,
} from "@foxglove/schemas/internal";

/** The Foxglove schema names this module can describe. */
export type FoxgloveSchemaName = keyof typeof foxgloveMessageSchemas;

/** One Foxglove schema as protobuf. */
export interface FoxgloveProtoSchema {
  /** Fully qualified message name, e.g. `foxglove.RawImage`. */
  name: string;
  /** The serialized `google.protobuf.FileDescriptorSet` of the message. */
  data: Uint8Array;
  /** The message descriptor, for encoding and decoding. */
  message: DescMessage;
}

const WELL_KNOWN: Record<string, FileDescriptorProto> = {
  "google.protobuf.Timestamp": file_google_protobuf_timestamp.proto,
  "google.protobuf.Duration": file_google_protobuf_duration.proto,
};

const PRIMITIVE_TYPES: Record<FoxglovePrimitive, FieldDescriptorProto_Type> = {
  int32: FieldDescriptorProto_Type.SFIXED32,
  uint32: FieldDescriptorProto_Type.FIXED32,
  bytes: FieldDescriptorProto_Type.BYTES,
  string: FieldDescriptorProto_Type.STRING,
  boolean: FieldDescriptorProto_Type.BOOL,
  float64: FieldDescriptorProto_Type.DOUBLE,
};

const cache = new Map<FoxgloveSchemaName, FoxgloveProtoSchema>();

/** The protobuf form of the Foxglove schema `name` (e.g. `RawImage`). */
export function foxgloveSchema(name: FoxgloveSchemaName): FoxgloveProtoSchema {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const files: FileDescriptorProto[] = [];
  addFile(foxgloveMessageSchemas[name], files, new Set());
  const set = create(FileDescriptorSetSchema, { file: files });
  const fullName = `foxglove.${name}`;
  const message = createFileRegistry(set).getMessage(fullName);
  if (message === undefined) throw new Error(`no message ${fullName}`);
  const schema = {
    name: fullName,
    data: toBinary(FileDescriptorSetSchema, set),
    message,
  };
  cache.set(name, schema);
  return schema;
}

/** Appends the file of `schema` after the files it imports, each once. */
function addFile(
  schema: FoxgloveMessageSchema,
  files: FileDescriptorProto[],
  seen: Set<string>,
): string {
  const known = schema.protoEquivalent && WELL_KNOWN[schema.protoEquivalent];
  const fileName = known ? known.name : `foxglove/${schema.name}.proto`;
  if (seen.has(fileName)) return fileName;
  seen.add(fileName);
  if (known) {
    files.push(known);
    return fileName;
  }
  const dependency = new Set<string>();
  for (const field of schema.fields) {
    if (field.type.type === "nested") {
      dependency.add(addFile(field.type.schema, files, seen));
    }
  }
  files.push(create(FileDescriptorProtoSchema, {
    name: fileName,
    package: "foxglove",
    dependency: [...dependency].sort(),
    messageType: [messageProto(schema)],
    syntax: "proto3",
  }));
  return fileName;
}

/** The message of `schema`, numbered as `@foxglove/schemas` numbers its `.proto`. */
function messageProto(schema: FoxgloveMessageSchema): DescriptorProto {
  const explicit = new Set(
    schema.fields.flatMap((f) => f.protobufFieldNumber ?? []),
  );
  let next = 1;
  const enums = new Map<string, FoxgloveEnumSchema>();
  const oneofs: string[] = [];
  const fields = schema.fields.map((field) => {
    let number = field.protobufFieldNumber;
    if (number === undefined) {
      while (explicit.has(next)) next++;
      number = next++;
    }
    const proto: MessageInitShape<typeof FieldDescriptorProtoSchema> = {
      name: field.name,
      jsonName: jsonName(field.name),
      number,
      label: field.array === undefined
        ? FieldDescriptorProto_Label.OPTIONAL
        : FieldDescriptorProto_Label.REPEATED,
    };
    const type = field.type;
    switch (type.type) {
      case "primitive":
        proto.type = PRIMITIVE_TYPES[type.name];
        break;
      case "nested":
        proto.type = FieldDescriptorProto_Type.MESSAGE;
        proto.typeName = `.${
          type.schema.protoEquivalent ?? `foxglove.${type.schema.name}`
        }`;
        break;
      case "enum":
        enums.set(type.enum.protobufEnumName, type.enum);
        proto.type = FieldDescriptorProto_Type.ENUM;
        proto.typeName =
          `.foxglove.${schema.name}.${type.enum.protobufEnumName}`;
        break;
    }
    if (field.optional && field.array === undefined) {
      proto.proto3Optional = true;
      proto.oneofIndex = oneofs.push(`_${field.name}`) - 1;
    }
    return proto;
  });
  return create(DescriptorProtoSchema, {
    name: schema.name,
    field: fields,
    enumType: [...enums.values()].map((e) => ({
      name: e.protobufEnumName,
      value: e.values.map(({ name, value }) => ({ name, number: value })),
    })),
    oneofDecl: oneofs.map((name) => ({ name })),
  });
}

/** The JSON name protoc gives a field: lower camel case of its name. */
function jsonName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
