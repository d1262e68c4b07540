/**
 * `log_manifest.json`: the JCS-canonical description of a log. The format
 * requires `segment_duration_ns` (> 0) and `retention_ns` (>= 0, 0 keeps
 * everything); the rest is the caller's and persists verbatim.
 *
 * @module
 */
import { join } from "node:path";
import { canonicalJson, parseJson } from "../../core/codec/json.ts";
import { writeFileAtomic } from "../../core/files.ts";

/** The manifest's file name inside a log directory. */
export const MANIFEST_FILE = "log_manifest.json";

/** A log manifest: the two required keys plus caller-defined fields. */
export interface LogManifest {
  /** Time covered by one segment, ns (> 0). */
  segment_duration_ns: bigint;
  /** Window of data kept, ns; 0 disables eviction. */
  retention_ns: bigint;
  /** Caller-defined fields (sensor, clock, frame references and so on). */
  [field: string]: unknown;
}

/** Reads and checks a log directory's manifest; `undefined` when it has none. */
export async function readManifest(
  dir: string,
): Promise<LogManifest | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, MANIFEST_FILE));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const value = parseJson(text);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${join(dir, MANIFEST_FILE)} is not a JSON object`);
  }
  const record = value as Record<string, unknown>;
  const manifest = {
    ...record,
    segment_duration_ns: integer(record.segment_duration_ns),
    retention_ns: integer(record.retention_ns),
  };
  checkManifest(manifest, join(dir, MANIFEST_FILE));
  return manifest;
}

/** Writes a manifest atomically (temporary file, fsync, rename). */
export async function writeManifest(
  dir: string,
  manifest: LogManifest,
): Promise<void> {
  checkManifest(manifest, join(dir, MANIFEST_FILE));
  await writeFileAtomic(join(dir, MANIFEST_FILE), canonicalJson(manifest), {
    sync: true,
    soleWriter: true,
  });
}

function integer(value: unknown): bigint | undefined {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) {
    return BigInt(value);
  }
  return undefined;
}

function checkManifest(
  manifest: {
    segment_duration_ns: bigint | undefined;
    retention_ns: bigint | undefined;
  },
  where: string,
): asserts manifest is LogManifest {
  if (
    manifest.segment_duration_ns === undefined ||
    manifest.segment_duration_ns <= 0n
  ) {
    throw new TypeError(`${where}: segment_duration_ns must be an integer > 0`);
  }
  if (manifest.retention_ns === undefined || manifest.retention_ns < 0n) {
    throw new TypeError(`${where}: retention_ns must be an integer >= 0`);
  }
}
