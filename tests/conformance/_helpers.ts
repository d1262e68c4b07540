/**
 * Shared helpers of the conformance suite: the vector directory, and a
 * strict reader over a vector's `input` object that fails when a field is
 * missing, has the wrong type, or is never consumed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromHex } from "../helpers/hex.ts";

/**
 * The locked conformance vectors, kept in this repository (a copy of the
 * protocol reference's `conformance/vectors/`; `.ci/run` checks the copy).
 */
export const VECTOR_DIR: URL = new URL("./vectors/", import.meta.url);

/** A JSON object as parsed by `parseJson`. */
export type JsonObject = Record<string, unknown>;

/** Asserts a value is a plain JSON object. */
export function asObject(value: unknown, where: string): JsonObject {
  assert.ok(
    typeof value === "object" && value !== null && !Array.isArray(value),
    `${where} must be a JSON object`,
  );
  return value as JsonObject;
}

/** Reads a required string member. */
export function requireString(obj: JsonObject, key: string): string {
  const value = obj[key];
  assert.equal(typeof value, "string", `"${key}" must be a string`);
  return value as string;
}

/** Reads a required non-negative integer member. */
export function requireCount(obj: JsonObject, key: string): number {
  const value = obj[key];
  assert.ok(
    typeof value === "number" && Number.isSafeInteger(value) && value >= 0,
    `"${key}" must be a non-negative integer`,
  );
  return value as number;
}

/**
 * Strict reader over an `input` object: every accessor marks its key as
 * consumed, {@link Fields.done} fails when a key was never read, so a vector
 * field the test does not understand can never be silently ignored.
 */
export class Fields {
  readonly #obj: JsonObject;
  readonly #where: string;
  readonly #used = new Set<string>();

  /** Wraps `obj`, naming it `where` in failures. */
  constructor(obj: JsonObject, where: string) {
    this.#obj = obj;
    this.#where = where;
  }

  #take(key: string): unknown {
    assert.ok(
      Object.hasOwn(this.#obj, key),
      `${this.#where}: missing field "${key}"`,
    );
    this.#used.add(key);
    return this.#obj[key];
  }

  /** Whether `key` is present. */
  has(key: string): boolean {
    return Object.hasOwn(this.#obj, key);
  }

  /** A finite JSON number. */
  number(key: string): number {
    const value = this.#take(key);
    assert.ok(
      typeof value === "number" && Number.isFinite(value),
      `${this.#where}.${key} must be a finite number`,
    );
    return value as number;
  }

  /** An integer that may exceed 2^53 (number or bigint in, bigint out). */
  int64(key: string): bigint {
    const value = this.#take(key);
    if (typeof value === "bigint") return value;
    assert.ok(
      typeof value === "number" && Number.isSafeInteger(value),
      `${this.#where}.${key} must be an integer`,
    );
    return BigInt(value as number);
  }

  /** A safe integer. */
  integer(key: string): number {
    const value = this.number(key);
    assert.ok(
      Number.isSafeInteger(value),
      `${this.#where}.${key} must be an integer`,
    );
    return value;
  }

  /** A string. */
  string(key: string): string {
    const value = this.#take(key);
    assert.equal(
      typeof value,
      "string",
      `${this.#where}.${key} must be a string`,
    );
    return value as string;
  }

  /** An array of finite numbers. */
  numbers(key: string): number[] {
    const value = this.#take(key);
    assert.ok(Array.isArray(value), `${this.#where}.${key} must be an array`);
    for (const v of value) {
      assert.ok(
        typeof v === "number" && Number.isFinite(v),
        `${this.#where}.${key} must hold finite numbers`,
      );
    }
    return value as number[];
  }

  /** An array of objects, each wrapped in its own reader. */
  objects(key: string): Fields[] {
    const value = this.#take(key);
    assert.ok(Array.isArray(value), `${this.#where}.${key} must be an array`);
    return value.map((v, i) =>
      new Fields(asObject(v, `${key}[${i}]`), `${this.#where}.${key}[${i}]`)
    );
  }

  /** A nested object, or `undefined` when the field is JSON `null`. */
  optionalObject(key: string): Fields | undefined {
    const value = this.#take(key);
    if (value === null) return undefined;
    return new Fields(asObject(value, key), `${this.#where}.${key}`);
  }

  /**
   * Asserts a field the project schema does not model is absent-equivalent
   * (`null` or `[]`), so it cannot contribute bytes.
   */
  absent(key: string): void {
    const value = this.#take(key);
    assert.ok(
      value === null || (Array.isArray(value) && value.length === 0),
      `${this.#where}.${key} is set, but the project schema has no such field`,
    );
  }

  /**
   * Bytes given as `<name>_hex`, or as `<name>` described in text:
   * `"<N> bytes, every byte 0x<XX>..."`.
   */
  bytes(name: string): Uint8Array {
    if (this.has(`${name}_hex`)) return fromHex(this.string(`${name}_hex`));
    const text = this.string(name);
    const match = /^(\d+) bytes, every byte 0x([0-9a-fA-F]{2})\b/.exec(text);
    assert.ok(
      match,
      `${this.#where}.${name}: unrecognised byte description "${text}"`,
    );
    return new Uint8Array(Number(match[1])).fill(parseInt(match[2], 16));
  }

  /** Fails unless every key was consumed. */
  done(): void {
    const unread = Object.keys(this.#obj).filter((k) => !this.#used.has(k));
    assert.deepEqual(
      unread,
      [],
      `${this.#where}: fields not handled by the test`,
    );
  }
}
