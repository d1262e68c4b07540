/**
 * `/auki/registries/0.2.0`: registry entry lookup by exact (kind, id, hash)
 * (spec wire.md 6.4). The answer carries the exact canonical bytes that were
 * hashed; `{"entry":null}` when this peer holds no such entry.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { z } from "zod";
import { FRAME_CAPS } from "../../core/codec/framing.ts";
import { jsonBytes, parseJson, parseJsonBytes } from "../../core/codec/json.ts";
import { xxh3Hex } from "../../core/codec/hash.ts";
import {
  REGISTRY_KINDS,
  type RegistryKind,
} from "../../core/registries/entries.ts";
import type { RegistryStore } from "../registries/store.ts";
import { brief, DropRequest, request, type Target } from "./exchange.ts";
import { REGISTRIES } from "./ids.ts";
import {
  requestService,
  type Service,
  type ServiceComponents,
} from "./service.ts";

/** Frame limits of the registries protocol. */
export const REGISTRIES_LIMITS = { maxBytes: FRAME_CAPS.registries };

const Request = z.object({
  kind: z.enum(REGISTRY_KINDS),
  id: z.string(),
  hash: z.string(),
});

const Response = z.object({
  entry: z.object({
    kind: z.string(),
    id: z.string(),
    hash: z.string(),
    canonical_json: z.string(),
  }).nullable(),
});

/** The registries service: answers lookups from the local store. */
export function registriesService(
  init: { registry: RegistryStore },
  components: ServiceComponents,
): Service {
  return requestService(
    components,
    REGISTRIES,
    REGISTRIES_LIMITS,
    (body) => answerRegistries(body, init.registry),
  );
}

/** Answers a registry lookup from the local store. */
async function answerRegistries(
  body: Uint8Array,
  store: RegistryStore,
): Promise<Uint8Array> {
  let parsed;
  try {
    parsed = Request.parse(parseJsonBytes(body));
  } catch (error) {
    throw new DropRequest(`malformed registries request: ${brief(error)}`);
  }
  const entry = await store.get(parsed.kind, parsed.id, parsed.hash);
  return jsonBytes({
    entry: entry === undefined ? null : {
      kind: entry.kind,
      id: entry.id,
      hash: entry.hash,
      canonical_json: entry.canonicalJson,
    },
  });
}

/** A registry entry fetched from its owner and checked against its hash. */
export interface FetchedEntry {
  /** The canonical JSON exactly as received. */
  canonicalJson: string;
  /** The parsed entry. */
  entry: unknown;
}

/**
 * Fetches an entry from its owner; `null` when the owner does not hold it.
 * Throws when the received bytes do not hash to the requested hash.
 */
export async function requestRegistryEntry(
  node: Libp2p,
  target: Target,
  kind: RegistryKind,
  id: string,
  hash: string,
): Promise<FetchedEntry | null> {
  const response = await request(
    node,
    target,
    REGISTRIES,
    jsonBytes({ kind, id, hash }),
    REGISTRIES_LIMITS,
  );
  const { entry } = Response.parse(parseJsonBytes(response));
  if (entry === null) return null;
  const actual = xxh3Hex(entry.canonical_json);
  if (actual !== hash) {
    throw new Error(
      `registry entry ${kind}/${id} hashes to ${actual}, not ${hash}`,
    );
  }
  return {
    canonicalJson: entry.canonical_json,
    entry: parseJson(entry.canonical_json),
  };
}
