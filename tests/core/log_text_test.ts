/**
 * Remote values in log lines: short ones pass, long ones are cut naming
 * their byte size, control characters are escaped.
 *
 * @module
 */
import assert from "node:assert/strict";
import { LOGGED_VALUE_CHARS, truncated } from "../../core/log_text.ts";

Deno.test("truncated: short values pass unchanged", () => {
  assert.equal(truncated("camera-0/rgb"), "camera-0/rgb");
});

Deno.test("truncated: a 16 MiB value is cut and names its size", () => {
  const huge = "x".repeat(16 * 1024 * 1024);
  const out = truncated(huge);
  assert.equal(out, `${"x".repeat(LOGGED_VALUE_CHARS)}… (16777216 bytes)`);
});

Deno.test("truncated: the size counts UTF-8 bytes", () => {
  assert.equal(truncated("é".repeat(5), 2), "éé… (10 bytes)");
});

Deno.test("truncated: newlines and control characters stay on one line", () => {
  assert.equal(truncated("a\nb\u0000"), "a\\x0ab\\x00");
});
