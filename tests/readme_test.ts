/**
 * The README's configuration examples are valid configuration files: every
 * ```json block after a `<!-- config example -->` marker passes the same
 * checks as `auki-edge config check`, and every JSON block shaped like a
 * configuration carries the marker, so a new example cannot go unchecked.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConfigFile } from "../agent/config.ts";
import { configProblems } from "../agent/config_check.ts";
import { ALL_DRIVERS } from "../drivers/registry.ts";

const README = new URL("../README.md", import.meta.url);
const MARKER = "<!-- config example -->";

interface Block {
  line: number;
  marked: boolean;
  value: unknown;
}

function jsonBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const pattern = /(<!-- config example -->\s*)?```json\n([\s\S]*?)\n```/g;
  for (const match of text.matchAll(pattern)) {
    blocks.push({
      line: text.slice(0, match.index).split("\n").length,
      marked: match[1] !== undefined,
      value: JSON.parse(match[2]),
    });
  }
  return blocks;
}

function configShaped(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    Object.keys(value).every((key) => key in ConfigFile.shape);
}

Deno.test("the README's configuration examples pass config check", async () => {
  const text = await Deno.readTextFile(README);
  const blocks = jsonBlocks(text);
  const marked = blocks.filter((b) => b.marked);
  assert.ok(marked.length >= 3, `${marked.length} marked config examples`);
  assert.equal(
    text.split("\n").filter((line) => line === MARKER).length,
    marked.length,
    `every ${MARKER} line is right before a json block`,
  );
  for (const block of blocks) {
    assert.equal(
      block.marked,
      configShaped(block.value),
      `README.md line ${block.line}: ${
        block.marked
          ? "a marked block that is not a configuration"
          : `a configuration example without ${MARKER}`
      }`,
    );
  }
  for (const block of marked) {
    assert.deepEqual(
      configProblems(block.value, ALL_DRIVERS),
      [],
      `README.md line ${block.line}`,
    );
  }
});
