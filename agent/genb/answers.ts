/**
 * The payloads of the authenticated protocols (spec genb.md 1.2, 4): the
 * generation-A answers under their new ids, with the gen-B differences:
 * info 1.0.0 carries the `AuthenticatedParticipantInfo` JSON, catalog rows
 * are written in the Rust struct's member order, resources 0.3.0 refuses
 * unknown and repeated filters, registries 0.3.0 is `op`-tagged.
 *
 * @module
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { z } from "zod";
import { FRAME_CAPS } from "../../core/codec/framing.ts";
import { jsonBytes, parseJsonBytes } from "../../core/codec/json.ts";
import {
  InfoRequestSchema,
  InfoResponseSchema,
} from "../../core/proto/gen/auki/info_pb.ts";
import { REGISTRY_KINDS } from "../../core/registries/entries.ts";
import { stringifyJson } from "../../core/codec/json.ts";
import type { ResourceEntry, Variant } from "../catalog/resource_entry.ts";
import { VARIANTS } from "../catalog/resource_entry.ts";
import type { RegistryStore } from "../registries/store.ts";
import { brief, DropRequest } from "../protocols/exchange.ts";
import type { ParticipantInfo } from "../protocols/info.ts";
import { structOrderJson } from "./row_order.ts";

/** The rows of the online resources, optionally only of some variants. */
export type Rows = (variants?: readonly Variant[]) => ResourceEntry[];

/** `AuthenticatedParticipantInfo` JSON (no cluster fields), in struct order. */
export function authenticatedInfoJson(
  info: ParticipantInfo,
  appVersion: string,
): string {
  return stringifyJson({
    app: info.app,
    app_version: appVersion,
    name: info.name,
    session_id: info.session_id,
    session_clock_id: info.session_clock_id,
    session_clock_hash: info.session_clock_hash,
    session_now_ns: info.session_now_ns,
    peer_id: info.peer_id,
    app_instance: info.app_instance,
  });
}

/** Answers `/auki/auth/1/info/1.0.0`: protobuf `InfoRequest{}` in, `InfoResponse` out. */
export function answerAuthInfo(body: Uint8Array, json: string): Uint8Array {
  try {
    fromBinary(InfoRequestSchema, body);
  } catch (error) {
    throw new DropRequest(`malformed info request: ${brief(error)}`);
  }
  return toBinary(
    InfoResponseSchema,
    create(InfoResponseSchema, { participantInfoJson: json }),
  );
}

const RequestV2 = z.object({ variants: z.array(z.enum(VARIANTS)).nullish() });
const RequestV3 = z.strictObject({
  variants: z.array(z.enum([...VARIANTS, "message_channel"])).nullish(),
});

function catalogBytes(rows: ResourceEntry[]): Uint8Array {
  const bytes = new TextEncoder().encode(structOrderJson({ resources: rows }));
  if (bytes.byteLength > FRAME_CAPS.resources) {
    throw new DropRequest(
      `catalog of ${bytes.byteLength} bytes exceeds the ${FRAME_CAPS.resources}-byte frame cap`,
    );
  }
  return bytes;
}

/** Answers `/auki/auth/1/resources/0.2.0` (an empty body is refused by the framing). */
export function answerAuthResourcesV2(
  body: Uint8Array,
  rows: Rows,
): Uint8Array {
  let parsed;
  try {
    parsed = RequestV2.parse(parseJsonBytes(body));
  } catch (error) {
    throw new DropRequest(`malformed resources request: ${brief(error)}`);
  }
  return catalogBytes(rows(parsed.variants ?? undefined));
}

/**
 * Answers `/auki/auth/1/resources/0.3.0`: unknown members and a repeated
 * variant are refused; auki-edge owns no message channels, so its rows are
 * the 0.2.0 rows.
 */
export function answerAuthResourcesV3(
  body: Uint8Array,
  rows: Rows,
): Uint8Array {
  let parsed;
  try {
    parsed = RequestV3.parse(parseJsonBytes(body));
  } catch (error) {
    throw new DropRequest(`malformed resources request: ${brief(error)}`);
  }
  const variants = parsed.variants ?? undefined;
  if (variants !== undefined && new Set(variants).size !== variants.length) {
    throw new DropRequest("resources request repeats a variant");
  }
  const logs = variants?.filter((v): v is Variant => v !== "message_channel");
  if (variants !== undefined && variants.length > 0 && logs!.length === 0) {
    return catalogBytes([]);
  }
  return catalogBytes(rows(logs));
}

const RegistryRequestV3 = z.discriminatedUnion("op", [
  z.strictObject({
    op: z.literal("get"),
    kind: z.enum([...REGISTRY_KINDS, "device_model"]),
    id: z.string(),
    hash: z.string(),
  }),
  z.strictObject({
    op: z.literal("list"),
    kind: z.enum([...REGISTRY_KINDS, "device_model"]),
  }),
]);

/**
 * Answers `/auki/auth/1/registries/0.3.0`: `get` from the local store;
 * `list` is defined for `device_model` only, of which auki-edge holds none.
 */
export async function answerAuthRegistriesV3(
  body: Uint8Array,
  store: RegistryStore,
): Promise<Uint8Array> {
  let request;
  try {
    request = RegistryRequestV3.parse(parseJsonBytes(body));
  } catch (error) {
    throw new DropRequest(`malformed registries request: ${brief(error)}`);
  }
  if (request.op === "list") {
    return jsonBytes(
      request.kind === "device_model"
        ? { op: "list", entries: [] }
        : { op: "error", reason: "list is only implemented for device_model" },
    );
  }
  const entry = request.kind === "device_model"
    ? undefined
    : await store.get(request.kind, request.id, request.hash);
  return jsonBytes({
    op: "get",
    entry: entry === undefined ? null : {
      kind: entry.kind,
      id: entry.id,
      hash: entry.hash,
      canonical_json: entry.canonicalJson,
    },
  });
}
