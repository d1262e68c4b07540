/**
 * Catalog JSON in the Rust struct's member order: the order serde writes
 * `ResourceEntry` on the authenticated resources protocols, byte for byte
 * the Stage 1 vector's response frame (spec genb.md 6). Members the order
 * does not know follow in code-unit order.
 *
 * @module
 */
import { stringifyJson } from "../../core/codec/json.ts";

/**
 * Member rank across the row and its nested objects (`head`, `extent`,
 * `available`, `sensor`, registry refs), as the Rust structs declare them.
 */
const RANK = new Map(
  [
    "resources",
    "source_peer_id",
    "writer_peer_id",
    "resource_id",
    "state",
    "head",
    "extent",
    "available",
    "kind",
    "type",
    "retention_ns",
    "started_at_ns",
    "start_at_ns",
    "finish_at_ns",
    "bytes",
    "entries",
    "duration_ns",
    "sensor",
    "sensor_id",
    "sensor_hash",
    "pose",
    "writer_mode",
    "variant",
    "manifest",
    "peer_id",
    "id",
    "hash",
  ].map((key, index) => [key, index]),
);

function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (typeof value !== "object" || value === null) return value;
  const keys = Object.keys(value).sort((a, b) => {
    const ra = RANK.get(a) ?? RANK.size;
    const rb = RANK.get(b) ?? RANK.size;
    return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
  });
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    out[key] = ordered((value as Record<string, unknown>)[key]);
  }
  return out;
}

/** Compact JSON of a catalog response or row in struct member order. */
export function structOrderJson(value: unknown): string {
  return stringifyJson(ordered(value));
}
