/**
 * The agent's HTTP routes: the status page and its assets, `/healthz`,
 * `/metrics`, `/api/status`, `/api/view` and `/api/preview/<id>.jpg`.
 * Only GET and HEAD are allowed (405 otherwise); unknown paths are 404.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import { errorMessage, type Logger, rateLimited } from "../../core/logging.ts";
import { EXPOSITION_CONTENT_TYPE } from "../observe/exposition.ts";
import { healthOf } from "../observe/health.ts";
import { metricsText } from "../observe/metrics.ts";
import type { RegistryStore } from "../registries/store.ts";
import type { AgentStatus } from "../status_file.ts";
import { APP_CSS, APP_JS, INDEX_HTML } from "./page.ts";
import { CameraPreviews } from "./preview.ts";
import { SensorEntries } from "./sensor_entries.ts";
import { viewOf } from "./view.ts";

/** What the routes read from the agent. */
export interface HttpSources {
  /** The agent's status now. */
  status(): AgentStatus;
  /** The cluster the agent is configured for, if any. */
  clusterName(): string | undefined;
  /** The served resources. */
  catalog: Catalog;
  /** The local registry (sensor entries of cameras and lidars). */
  registry: RegistryStore;
}

const ALLOW = "GET, HEAD";
const PREVIEW = /^\/api\/preview\/([^/]+)\.jpg$/;

/** Answers requests; {@link close} stops its preview encoder. */
export interface HttpHandler {
  /** The response to `request`. */
  handle(request: Request): Promise<Response>;
  /** Stops the preview encoder thread. */
  close(): void;
}

/** A request handler serving `sources`. */
export function httpHandler(
  sources: HttpSources,
  logger: Logger,
): HttpHandler {
  const entries = new SensorEntries(sources.registry);
  const previews = new CameraPreviews(sources.catalog, entries);
  const failed = rateLimited(10_000, (m) => logger.warn(m));
  const routes: Record<string, () => Response | Promise<Response>> = {
    "/": () => text(INDEX_HTML, "text/html; charset=utf-8"),
    "/app.css": () => text(APP_CSS, "text/css; charset=utf-8"),
    "/app.js": () => text(APP_JS, "text/javascript; charset=utf-8"),
    "/healthz": () => {
      const health = healthOf(sources.status(), sources.clusterName());
      return json(health, health.status === "ok" ? 200 : 503);
    },
    "/metrics": () =>
      text(metricsText(sources.status()), EXPOSITION_CONTENT_TYPE),
    "/api/status": () => json(sources.status()),
    "/api/view": async () =>
      json(await viewOf(sources.catalog, entries), 200, {}, 0),
  };
  const handle = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    const preview = PREVIEW.exec(path);
    const route = routes[path];
    if (route === undefined && preview === null) {
      return json({ error: `no such path: ${path}` }, 404);
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return json(
        { error: `${request.method} is not allowed on ${path}` },
        405,
        { allow: ALLOW },
      );
    }
    try {
      const response = route !== undefined
        ? await route()
        : await previewResponse(previews, preview![1]);
      return request.method === "HEAD"
        ? new Response(null, {
          status: response.status,
          headers: response.headers,
        })
        : response;
    } catch (error) {
      failed(`HTTP ${path}: ${errorMessage(error)}`);
      return json({ error: errorMessage(error) }, 500);
    }
  };
  return { handle, close: () => previews.close() };
}

async function previewResponse(
  previews: CameraPreviews,
  encodedId: string,
): Promise<Response> {
  let id: string;
  try {
    id = decodeURIComponent(encodedId);
  } catch {
    return json({ error: "bad resource id" }, 404);
  }
  const result = await previews.preview(id);
  switch (result.kind) {
    case "jpeg":
      return new Response(result.bytes as Uint8Array<ArrayBuffer>, {
        headers: { ...NO_STORE, "content-type": "image/jpeg" },
      });
    case "unknown":
      return json({ error: `no camera "${id}"` }, 404);
    case "unavailable":
      return json({ error: `camera "${id}": ${result.reason}` }, 503);
  }
}

const NO_STORE = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

function text(body: string, contentType: string): Response {
  return new Response(body, {
    headers: { ...NO_STORE, "content-type": contentType },
  });
}

function json(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
  indent = 2,
): Response {
  return new Response(`${JSON.stringify(body, null, indent)}\n`, {
    status,
    headers: {
      ...NO_STORE,
      ...headers,
      "content-type": "application/json; charset=utf-8",
    },
  });
}
