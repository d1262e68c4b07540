/**
 * The Foxglove WebSocket server (`foxglove.websocket.v1`): every resource of
 * the catalog is advertised as a channel with its Foxglove schema, and the
 * entries of a channel are sent, as they are recorded, only while some
 * client subscribes to it. Each channel reads its log through one cursor
 * that skips to the newest entry when it falls behind; each client gets
 * what it can take and loses the rest ({@link BoundedSocket}).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Catalog } from "../catalog/catalog.ts";
import type { LogResource } from "../catalog/log_resource.ts";
import { type LogCursor, LogEvictedError } from "../logs/cursor.ts";
import { errorMessage, type Logger, rateLimited } from "../../core/logging.ts";
import { SensorEntry } from "../../core/registries/entries.ts";
import type { RegistryStore } from "../registries/store.ts";
import { BoundedSocket } from "./bounded_socket.ts";
import {
  channelFor,
  type ChannelSource,
  type ChannelSpec,
} from "./channels.ts";
import { FOXGLOVE_SUBPROTOCOL, FoxgloveServer } from "./ws_protocol.ts";

/** Bytes queued per client before its message data is dropped. */
const MAX_CLIENT_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Clients served at once; more are refused with 503. */
const MAX_CLIENTS = 16;
/** Entries a channel may fall behind its log before it skips to the newest. */
const MAX_LAG_ENTRIES = 4;
/** How often the advertised channels follow the catalog, ms. */
const SYNC_INTERVAL_MS = 1_000;
/** StatusLevel.ERROR of the protocol. */
const STATUS_ERROR = 2;

/** What {@link FoxgloveBridge.start} needs. */
export interface FoxgloveOptions {
  /** Interface to listen on. */
  hostname: string;
  /** Port to listen on (0 picks a free one). */
  port: number;
  /** The resources to advertise. */
  catalog: Catalog;
  /** The registry holding their sensor entries. */
  registry: RegistryStore;
  /** Server name in the protocol's `serverInfo`. */
  name: string;
  /** Where log lines go. */
  logger: Logger;
}

interface Advertised {
  id: number;
  resource: LogResource;
  spec: ChannelSpec;
}

/** A running Foxglove WebSocket server over the agent's catalog. */
export class FoxgloveBridge {
  readonly #server: FoxgloveServer;
  readonly #options: FoxgloveOptions;
  readonly #channels = new Map<string, Advertised>();
  readonly #feeds = new Map<number, AbortController>();
  readonly #clients = new Set<BoundedSocket>();
  readonly #warn: (message: string) => void;
  #http: Deno.HttpServer<Deno.NetAddr> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #syncing: Promise<void> = Promise.resolve();
  #receiving: BoundedSocket | undefined;

  private constructor(options: FoxgloveOptions) {
    this.#options = options;
    this.#warn = rateLimited(10_000, (m) => options.logger.warn(m));
    this.#server = new FoxgloveServer({ name: options.name });
    this.#server.on("subscribe", (id) => this.#startFeed(id));
    this.#server.on("unsubscribe", (id) => this.#stopFeed(id));
    this.#server.on("error", (error) => {
      this.#warn(`a client message was dropped: ${error.message}`);
      const client = this.#receiving;
      if (client !== undefined) {
        this.#server.sendStatus(
          { level: STATUS_ERROR, message: `not understood: ${error.message}` },
          client,
        );
      }
    });
  }

  /** Advertises the catalog's resources and starts listening. */
  static async start(options: FoxgloveOptions): Promise<FoxgloveBridge> {
    const bridge = new FoxgloveBridge(options);
    await bridge.#sync();
    bridge.#http = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      onListen: () => {},
      onError: (error) => {
        bridge.#warn(`a request failed: ${errorMessage(error)}`);
        return new Response("bad request\n", { status: 400 });
      },
    }, (request, info) => bridge.#handle(request, info));
    bridge.#timer = setInterval(() => {
      bridge.#syncing = bridge.#syncing.then(() => bridge.#sync()).catch(
        (error) =>
          bridge.#warn(
            `channels not updated: ${errorMessage(error)}`,
          ),
      );
    }, SYNC_INTERVAL_MS);
    return bridge;
  }

  /** The `ws://HOST:PORT` URL clients connect to. */
  get url(): string {
    const { hostname, port } = this.#http!.addr;
    return `ws://${
      hostname.includes(":") ? `[${hostname}]` : hostname
    }:${port}`;
  }

  #handle(request: Request, info: Deno.ServeHandlerInfo): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response(
        `auki-edge Foxglove WebSocket server: connect with Foxglove (${FOXGLOVE_SUBPROTOCOL})\n`,
        { status: 426, headers: { upgrade: "websocket" } },
      );
    }
    const offered = (request.headers.get("sec-websocket-protocol") ?? "")
      .split(",").map((p) => p.trim());
    if (this.#server.handleProtocols(offered) === false) {
      return new Response(`expected sub-protocol ${FOXGLOVE_SUBPROTOCOL}\n`, {
        status: 400,
      });
    }
    if (this.#clients.size >= MAX_CLIENTS) {
      return new Response(`at most ${MAX_CLIENTS} Foxglove clients\n`, {
        status: 503,
      });
    }
    const addr = info.remoteAddr as Deno.NetAddr;
    const { socket, response } = Deno.upgradeWebSocket(request, {
      protocol: FOXGLOVE_SUBPROTOCOL,
    });
    const client = new BoundedSocket(socket, MAX_CLIENT_BUFFERED_BYTES);
    this.#clients.add(client);
    socket.addEventListener("open", () => {
      this.#server.handleConnection(client, `${addr.hostname}:${addr.port}`);
      this.#watchMessages(client);
    });
    socket.addEventListener("close", () => {
      this.#clients.delete(client);
      this.#options.logger.debug(
        `client ${addr.hostname}:${addr.port} left; ${client.dropped} messages were dropped while it was behind`,
      );
    });
    return response;
  }

  /** Notes which client a message comes from, so errors answer that client. */
  #watchMessages(client: BoundedSocket): void {
    const handle = client.onmessage;
    client.onmessage = (event) => {
      this.#receiving = client;
      try {
        handle?.(event);
      } finally {
        this.#receiving = undefined;
      }
    };
  }

  /** Advertises new resources and withdraws removed ones. */
  async #sync(): Promise<void> {
    const present = new Set<string>();
    for (const resource of this.#options.catalog.all()) {
      present.add(resource.id);
      if (this.#channels.has(resource.id)) continue;
      let spec: ChannelSpec | undefined;
      try {
        spec = channelFor(await this.#sourceOf(resource));
      } catch (error) {
        this.#warn(
          `${resource.id} is not advertised: ${errorMessage(error)}`,
        );
        continue;
      }
      if (spec === undefined) continue;
      const id = this.#server.addChannel({
        topic: spec.topic,
        encoding: spec.messageEncoding,
        schemaName: spec.schemaName,
        schema: spec.schemaEncoding === "protobuf"
          ? encodeBase64(spec.schema)
          : new TextDecoder().decode(spec.schema),
        schemaEncoding: spec.schemaEncoding,
      });
      this.#channels.set(resource.id, { id, resource, spec });
    }
    for (const [resourceId, channel] of this.#channels) {
      if (present.has(resourceId)) continue;
      this.#stopFeed(channel.id);
      this.#server.removeChannel(channel.id);
      this.#channels.delete(resourceId);
    }
  }

  async #sourceOf(resource: LogResource): Promise<ChannelSource> {
    const kind = resource.kind;
    switch (kind.variant) {
      case "sensor_log": {
        const stored = await this.#options.registry.get(
          "sensor",
          kind.sensor.sensor_id,
          kind.sensor.sensor_hash,
        );
        return {
          resourceId: resource.id,
          payload: kind.payload,
          sensor: stored && SensorEntry.parse(JSON.parse(stored.canonicalJson)),
          frameId: kind.manifest.frame?.id,
        };
      }
      case "pose_log":
        return {
          resourceId: resource.id,
          payload: "spatial_transform",
          frames: {
            parent: kind.manifest.from_frame.id,
            child: kind.manifest.to_frame.id,
          },
        };
      case "time_transform_log":
        return { resourceId: resource.id, payload: "time_transform" };
    }
  }

  #startFeed(channelId: number): void {
    const channel = [...this.#channels.values()].find((c) =>
      c.id === channelId
    );
    if (channel === undefined || this.#feeds.has(channelId)) return;
    const abort = new AbortController();
    this.#feeds.set(channelId, abort);
    this.#feed(channel, abort.signal).catch((error) => {
      if (!abort.signal.aborted) {
        this.#warn(
          `${channel.resource.id} stopped: ${errorMessage(error)}`,
        );
      }
    }).finally(() => {
      if (this.#feeds.get(channelId) === abort) this.#feeds.delete(channelId);
    });
  }

  #stopFeed(channelId: number): void {
    this.#feeds.get(channelId)?.abort();
    this.#feeds.delete(channelId);
  }

  /** Sends the channel's new entries until it is unsubscribed. */
  async #feed(channel: Advertised, signal: AbortSignal): Promise<void> {
    const log = channel.resource.log;
    let cursor: LogCursor = await log.cursor({ kind: "latest" });
    try {
      while (!signal.aborted) {
        if (log.nextIndex - cursor.index > MAX_LAG_ENTRIES) {
          cursor.close();
          cursor = await log.cursor({ kind: "latest" });
        }
        let entry;
        try {
          entry = await cursor.next(signal);
        } catch (error) {
          if (!(error instanceof LogEvictedError)) throw error;
          cursor.close();
          cursor = await log.cursor({ kind: "latest" });
          continue;
        }
        if (entry === null) return;
        let data: Uint8Array<ArrayBuffer>;
        try {
          data = channel.spec.encode(entry.payload, entry.timestampNs);
        } catch (error) {
          this.#warn(
            `an entry of ${channel.resource.id} cannot be converted: ${
              errorMessage(error)
            }`,
          );
          continue;
        }
        this.#server.sendMessage(channel.id, entry.timestampNs, data);
      }
    } finally {
      cursor.close();
    }
  }

  /** Disconnects every client and stops listening. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#syncing;
    for (const abort of this.#feeds.values()) abort.abort();
    this.#feeds.clear();
    for (const client of this.#clients) client.close();
    await this.#http?.shutdown();
  }
}

function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString("base64");
}
