/**
 * `/auki/resources/0.2.0`: the resource catalog (spec wire.md section 5).
 * Rows are written in RFC 8785 canonical form, byte for byte the shape of the
 * SDK's locked catalog fixtures; JSON readers accept any member order.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { z } from "zod";
import { FRAME_CAPS } from "../../core/codec/framing.ts";
import {
  canonicalJson,
  jsonBytes,
  parseJsonBytes,
} from "../../core/codec/json.ts";
import type { Catalog } from "../catalog/catalog.ts";
import {
  type ResourceEntry,
  ResourcesResponse,
  type Variant,
  VARIANTS,
} from "../catalog/resource_entry.ts";
import { brief, DropRequest, request, type Target } from "./exchange.ts";
import { RESOURCES } from "./ids.ts";
import {
  requestService,
  type Service,
  type ServiceComponents,
} from "./service.ts";

/** Frame limits of the resources protocol. */
export const RESOURCES_LIMITS = { maxBytes: FRAME_CAPS.resources };

const Request = z.object({ variants: z.array(z.enum(VARIANTS)).nullish() });

/** The resources service: answers with the catalog's online rows. */
export function resourcesService(
  init: { catalog: Catalog },
  components: ServiceComponents,
): Service {
  return requestService(
    components,
    RESOURCES,
    RESOURCES_LIMITS,
    (body) => answerResources(body, init.catalog),
  );
}

/**
 * Answers a catalog request. An unknown variant is a decode error in Rust,
 * which drops the substream, so it is dropped here too.
 */
function answerResources(
  body: Uint8Array,
  catalog: Catalog,
): Uint8Array {
  let parsed;
  try {
    parsed = Request.parse(parseJsonBytes(body));
  } catch (error) {
    throw new DropRequest(`malformed resources request: ${brief(error)}`);
  }
  const text = canonicalJson({
    resources: catalog.rows(parsed.variants ?? undefined),
  });
  const bytes = new TextEncoder().encode(text);
  if (bytes.byteLength > FRAME_CAPS.resources) {
    throw new DropRequest(
      `catalog of ${bytes.byteLength} bytes exceeds the ${FRAME_CAPS.resources}-byte frame cap`,
    );
  }
  return bytes;
}

/** Fetches a peer's catalog rows, optionally only some variants. */
export async function requestResources(
  node: Libp2p,
  target: Target,
  variants?: readonly Variant[],
): Promise<ResourceEntry[]> {
  const body = variants === undefined || variants.length === 0
    ? {}
    : { variants };
  const response = await request(
    node,
    target,
    RESOURCES,
    jsonBytes(body),
    RESOURCES_LIMITS,
  );
  return ResourcesResponse.parse(parseJsonBytes(response)).resources;
}
