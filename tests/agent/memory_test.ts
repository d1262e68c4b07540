import assert from "node:assert/strict";
import { mapLargeBuffers } from "../../agent/memory.ts";

Deno.test("mapLargeBuffers: glibc takes the fixed mmap threshold", () => {
  // The machines auki-edge ships for run glibc; mallopt answers 1 when it
  // accepted the parameter and 0 for one it does not know.
  assert.equal(mapLargeBuffers(), true);
});
