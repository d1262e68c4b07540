/**
 * BigInt-safe JSON: nanosecond timestamps exceed 2^53, so integers outside the
 * safe range are parsed as `bigint` and every `bigint` is written as bare
 * digits (spec README decision 4, wire.md section 13.2).
 *
 * @module
 */

const INTEGER_LITERAL = /^-?(0|[1-9][0-9]*)$/;

type Reviver = (
  this: unknown,
  key: string,
  value: unknown,
  context?: { source?: string },
) => unknown;

const bigintReviver: Reviver = (_key, value, context) => {
  if (
    typeof value === "number" && !Number.isSafeInteger(value) &&
    context?.source !== undefined && INTEGER_LITERAL.test(context.source)
  ) {
    return BigInt(context.source);
  }
  return value;
};

/** Parses JSON text, returning integers beyond 2^53 as `bigint`. */
export function parseJson(text: string): unknown {
  return JSON.parse(text, bigintReviver as Parameters<typeof JSON.parse>[1]);
}

/** Decodes UTF-8 bytes and parses them with {@link parseJson}; throws on invalid UTF-8. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  return parseJson(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
}

const rawJson = (JSON as unknown as { rawJSON(text: string): unknown })
  .rawJSON;

/** Writes compact JSON in insertion order, `bigint` as bare digits. */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) => typeof v === "bigint" ? rawJson(v.toString()) : v,
  );
}

/** Encodes a value as compact UTF-8 JSON bytes (see {@link stringifyJson}). */
export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(stringifyJson(value));
}

/**
 * RFC 8785 (JCS) canonical JSON: keys sorted by UTF-16 code units, no
 * whitespace, ECMAScript number formatting, `bigint` as digits. Object members
 * whose value is `undefined` are omitted, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case "bigint":
      return value.toString();
    case "number":
      if (!Number.isFinite(value)) {
        throw new TypeError(`JCS cannot encode the number ${value}`);
      }
      return JSON.stringify(value);
    case "string":
      if (!value.isWellFormed()) {
        throw new TypeError("JCS cannot encode a string with a lone surrogate");
      }
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        return `[${value.map(canonicalJson).join(",")}]`;
      }
      const members = Object.keys(value).sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) =>
          `${canonicalJson(k)}:${
            canonicalJson((value as Record<string, unknown>)[k])
          }`
        );
      return `{${members.join(",")}}`;
    }
    default:
      throw new TypeError(`JCS cannot encode a value of type ${typeof value}`);
  }
}
