/**
 * The decoders' byte buffer: appends past its capacity, consumes from the
 * front keeping the rest, and resets.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ByteAccumulator } from "../../../drivers/serial/byte_accumulator.ts";

Deno.test("byte accumulator: grows, consumes from the front, resets", () => {
  const bytes = new ByteAccumulator(2);
  assert.deepEqual([...bytes.append(Uint8Array.of(1, 2, 3))], [1, 2, 3]);
  assert.deepEqual([...bytes.append(Uint8Array.of(4, 5))], [1, 2, 3, 4, 5]);
  bytes.consume(2);
  assert.deepEqual([...bytes.view()], [3, 4, 5]);
  assert.deepEqual([...bytes.append(Uint8Array.of(6))], [3, 4, 5, 6]);
  bytes.consume(4);
  assert.deepEqual([...bytes.view()], []);
  bytes.append(Uint8Array.of(7, 8));
  bytes.reset();
  assert.deepEqual([...bytes.view()], []);
  assert.deepEqual([...bytes.append(Uint8Array.of(9))], [9]);
});
