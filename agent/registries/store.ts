/**
 * The local registry: entries this peer owns, content-addressed by the
 * XXH3-128 of their canonical JSON, kept in memory and under
 * `<root>/<kind>/<peer_id>/<id>/<hash>.json` so entries of earlier sessions
 * that recorded logs still reference stay resolvable.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { canonicalJson } from "../../core/codec/json.ts";
import { xxh3Hex } from "../../core/codec/hash.ts";
import {
  ClockEntry,
  entryId,
  FrameEntry,
  type RegistryRef,
  SensorEntry,
  validateRegistryId,
} from "../../core/registries/entries.ts";

/** The registry kinds this peer owns entries of. */
export type OwnedKind = "sensor" | "clock" | "frame";

const SCHEMAS = { sensor: SensorEntry, clock: ClockEntry, frame: FrameEntry };

/** One stored entry: its identity and the exact canonical bytes that were hashed. */
export interface StoredEntry {
  /** Registry kind. */
  kind: OwnedKind;
  /** Entry id (`sensor_id`, `clock_id` or `frame_id`). */
  id: string;
  /** 32-hex XXH3-128 of `canonicalJson`. */
  hash: string;
  /** RFC 8785 canonical JSON of the entry. */
  canonicalJson: string;
}

/** Canonicalizes and hashes an entry, returning its stored form. */
export function hashEntry(
  kind: OwnedKind,
  entry: SensorEntry | ClockEntry | FrameEntry,
): StoredEntry {
  const canonical = canonicalJson(entry);
  return {
    kind,
    id: entryId(kind, entry),
    hash: xxh3Hex(canonical),
    canonicalJson: canonical,
  };
}

/** Entries owned by one peer, served by `/auki/registries/0.2.0`. */
export class RegistryStore {
  readonly #peerId: string;
  readonly #root: string | undefined;
  readonly #entries = new Map<string, StoredEntry>();

  /** A store for `peerId`'s entries, persisted under `root` when given. */
  constructor(peerId: string, root?: string) {
    this.#peerId = peerId;
    this.#root = root;
  }

  /**
   * Validates and stores an entry, returning its reference. Throws when the
   * entry does not match its schema or names another peer.
   */
  async put(
    kind: OwnedKind,
    entry: SensorEntry | ClockEntry | FrameEntry,
  ): Promise<RegistryRef> {
    const parsed = SCHEMAS[kind].safeParse(entry);
    if (!parsed.success) {
      throw new TypeError(
        `invalid ${kind} registry entry "${entryId(kind, entry)}": ${
          parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)
            .join("; ")
        }`,
      );
    }
    if (entry.peer_id !== this.#peerId) {
      throw new TypeError(
        `${kind} entry "${
          entryId(kind, entry)
        }" belongs to ${entry.peer_id}, not ${this.#peerId}`,
      );
    }
    const stored = hashEntry(kind, parsed.data);
    const extra = Object.entries(entry)
      .filter(([k, v]) => v !== undefined && !(k in parsed.data))
      .map(([k]) => k);
    if (extra.length > 0) {
      throw new TypeError(
        `invalid ${kind} registry entry "${stored.id}": unknown field ${
          extra.join(", ")
        }`,
      );
    }
    this.#entries.set(key(kind, stored.id, stored.hash), stored);
    const path = this.#path(kind, stored.id, stored.hash);
    if (path !== undefined) {
      await Deno.mkdir(dirname(path), { recursive: true });
      await Deno.writeTextFile(path, stored.canonicalJson);
    }
    return { peer_id: this.#peerId, id: stored.id, hash: stored.hash };
  }

  /** Looks up an exact (kind, id, hash), in memory or on disk. */
  async get(
    kind: string,
    id: string,
    hash: string,
  ): Promise<StoredEntry | undefined> {
    // Own keys only: `in` would also accept "constructor", "toString", ...
    if (!Object.hasOwn(SCHEMAS, kind)) return undefined;
    const owned = kind as OwnedKind;
    const cached = this.#entries.get(key(owned, id, hash));
    if (cached !== undefined) return cached;
    if (validateRegistryId(id) !== undefined || !/^[0-9a-f]{32}$/.test(hash)) {
      return undefined;
    }
    const path = this.#path(owned, id, hash);
    if (path === undefined) return undefined;
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
    if (xxh3Hex(text) !== hash) return undefined;
    const stored = { kind: owned, id, hash, canonicalJson: text };
    this.#entries.set(key(owned, id, hash), stored);
    return stored;
  }

  #path(kind: OwnedKind, id: string, hash: string): string | undefined {
    return this.#root === undefined
      ? undefined
      : join(this.#root, kind, this.#peerId, id, `${hash}.json`);
  }
}

function key(kind: string, id: string, hash: string): string {
  return `${kind}\u0000${id}\u0000${hash}`;
}
