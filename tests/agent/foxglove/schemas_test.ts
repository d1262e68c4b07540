/**
 * The protobuf descriptors built from `@foxglove/schemas` match the `.proto`
 * files the package itself generates: same fields, same numbers, same types.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ScalarType } from "@bufbuild/protobuf";
import {
  type FoxgloveEnumSchema,
  foxgloveMessageSchemas,
  generateProto,
} from "@foxglove/schemas/internal";
import {
  foxgloveSchema,
  type FoxgloveSchemaName,
} from "../../../agent/foxglove/schemas.ts";

const PROTO_SCALARS: Record<string, ScalarType> = {
  sfixed32: ScalarType.SFIXED32,
  fixed32: ScalarType.FIXED32,
  bytes: ScalarType.BYTES,
  string: ScalarType.STRING,
  bool: ScalarType.BOOL,
  double: ScalarType.DOUBLE,
};

Deno.test("foxglove schemas: every descriptor matches the package's generated .proto", () => {
  const names = Object.keys(foxgloveMessageSchemas) as FoxgloveSchemaName[];
  let checked = 0;
  for (const name of names) {
    const schema = foxgloveMessageSchemas[name];
    if (schema.protoEquivalent !== undefined) continue; // google.protobuf.*
    const enums = [
      ...new Map(
        schema.fields.flatMap((f) =>
          f.type.type === "enum" ? [[f.type.enum.name, f.type.enum]] : []
        ) as [string, FoxgloveEnumSchema][],
      ).values(),
    ];
    const proto = generateProto(schema, enums);
    const expected = [
      ...proto.matchAll(
        /^ {2}(repeated |optional )?([\w.]+) (\w+) = (\d+);/gm,
      ),
    ].map(([, label, type, field, number]) => ({
      field,
      number: Number(number),
      repeated: label === "repeated ",
      type,
    }));
    const message = foxgloveSchema(name).message;
    assert.equal(message.typeName, `foxglove.${name}`);
    assert.deepEqual(
      message.fields.map((f) => f.name),
      expected.map((e) => e.field),
      name,
    );
    for (const want of expected) {
      const field = message.fields.find((f) => f.name === want.field)!;
      assert.equal(field.number, want.number, `${name}.${want.field}`);
      assert.equal(
        field.fieldKind === "list",
        want.repeated,
        `${name}.${want.field}`,
      );
      const scalar = PROTO_SCALARS[want.type];
      if (scalar !== undefined) {
        assert.equal(field.scalar, scalar, `${name}.${want.field}`);
      } else {
        assert.equal(
          field.enum?.name ?? field.message?.typeName,
          want.type,
          `${name}.${want.field}`,
        );
      }
    }
    checked++;
  }
  assert(checked > 40, `${checked} schemas checked`);
});
