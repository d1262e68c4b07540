/**
 * The agent: one peer identity, its sensors recorded as logs, and the Auki
 * protocols serving them (info, resources, registries, stream).
 *
 * @module
 */
import { hostname } from "node:os";
import { join } from "node:path";
import type { Libp2p } from "@libp2p/interface";
import { ulid } from "ulid";
import type { SensorDriver } from "../drivers/driver.ts";
import { Catalog } from "./catalog/catalog.ts";
import { type AgentClocks, registerClocks } from "./clocks/clocks.ts";
import { TimeTransformLog } from "./clocks/time_transform_log.ts";
import { appInstance } from "./identity/app_instance.ts";
import { loadOrCreateSeed } from "./identity/seed_file.ts";
import { peerKeyFromSeed } from "./identity/wallet.ts";
import type { Logger } from "./logging.ts";
import { removeStaleSessionLogs } from "./logs/stale_sessions.ts";
import { createNode } from "./node.ts";
import { describe, serveRequest } from "./protocols/exchange.ts";
import { INFO, REGISTRIES, RESOURCES, STREAM } from "./protocols/ids.ts";
import {
  answerInfo,
  INFO_LIMITS,
  type ParticipantInfo,
} from "./protocols/info.ts";
import { answerRegistries, REGISTRIES_LIMITS } from "./protocols/registries.ts";
import { answerResources, RESOURCES_LIMITS } from "./protocols/resources.ts";
import { StreamProducer } from "./protocols/stream_producer.ts";
import { RegistryStore } from "./registries/store.ts";
import { HostedSensor } from "./sensors/sensor_host.ts";
import type { Retention } from "./sensors/sensor_log.ts";
import { lockStorage, type StorageLock } from "./storage_lock.ts";

/** The application name in ParticipantInfo and log manifests. */
export const APP = "auki-edge";

/** A sensor to run and how much of its log to keep. */
export interface SensorSpec {
  /** The driver producing its samples. */
  driver: SensorDriver;
  /** Log retention and memory cache. */
  retention: Retention;
}

/** What {@link Agent.start} needs. */
export interface AgentOptions {
  /** Participant name (default: the host name). */
  name?: string;
  /** Storage root for logs, registries and the lock. */
  storage: string;
  /** Wallet seed file (minted when absent). */
  seedPath: string;
  /** Multiaddrs to listen on. */
  listen: string[];
  /** Sensors to run. */
  sensors: SensorSpec[];
  /** Where log lines go. */
  logger: Logger;
}

/** A running agent. */
export class Agent {
  /** The libp2p node. */
  readonly node: Libp2p;
  /** This run's session id. */
  readonly sessionId: string;
  /** The session and UTC clocks. */
  readonly clocks: AgentClocks;
  /** The served resources. */
  readonly catalog: Catalog;
  /** The local registry. */
  readonly registry: RegistryStore;
  readonly #name: string;
  readonly #instance: string;
  readonly #logger: Logger;
  readonly #producer: StreamProducer;
  readonly #sensors: HostedSensor[];
  readonly #timeTransform: TimeTransformLog;
  readonly #lock: StorageLock;

  private constructor(init: {
    node: Libp2p;
    sessionId: string;
    clocks: AgentClocks;
    catalog: Catalog;
    registry: RegistryStore;
    name: string;
    logger: Logger;
    producer: StreamProducer;
    sensors: HostedSensor[];
    timeTransform: TimeTransformLog;
    lock: StorageLock;
  }) {
    this.node = init.node;
    this.sessionId = init.sessionId;
    this.clocks = init.clocks;
    this.catalog = init.catalog;
    this.registry = init.registry;
    this.#name = init.name;
    this.#instance = appInstance();
    this.#logger = init.logger;
    this.#producer = init.producer;
    this.#sensors = init.sensors;
    this.#timeTransform = init.timeTransform;
    this.#lock = init.lock;
  }

  /** Starts an agent: identity, clocks, logs, sensors, then the network. */
  static async start(options: AgentOptions): Promise<Agent> {
    const { storage, logger } = options;
    await Deno.mkdir(storage, { recursive: true });
    const lock = await lockStorage(storage);
    try {
      const privateKey = await peerKeyFromSeed(
        await loadOrCreateSeed(options.seedPath),
      );
      const node = await createNode({ privateKey, listen: options.listen });
      const peerId = node.peerId.toString();
      const sessionId = ulid();
      const registry = new RegistryStore(peerId, join(storage, "registries"));
      const clocks = await registerClocks(registry, peerId, sessionId);
      await removeStaleSessionLogs(storage, peerId, clocks.session.ref, logger);
      const catalog = new Catalog();
      const producer = new StreamProducer(catalog, logger.child("stream"));
      const timeTransform = await TimeTransformLog.start({
        from: clocks.session,
        to: clocks.utc,
        peerId,
        sessionId,
        storage,
        catalog,
        logger,
      });
      const context = {
        peerId,
        sessionId,
        clock: clocks.utc,
        registry,
        catalog,
        storage,
        logger: logger.child("sensor"),
      };
      const sensors: HostedSensor[] = [];
      for (const spec of options.sensors) {
        try {
          sensors.push(
            await HostedSensor.start(spec.driver, spec.retention, context),
          );
        } catch (error) {
          logger.error(describe(error));
        }
      }
      const agent = new Agent({
        node,
        sessionId,
        clocks,
        catalog,
        registry,
        name: options.name ?? hostname(),
        logger,
        producer,
        sensors,
        timeTransform,
        lock,
      });
      await agent.#serve();
      await node.start();
      logger.info(
        `peer ${peerId} serving ${catalog.rows().length} resources on ${
          agent.multiaddrs().join(" ")
        }`,
      );
      return agent;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  async #serve(): Promise<void> {
    const log = this.#logger.child("protocols");
    const drop = (protocol: string, peer: string) => (reason: string) =>
      log.warn(`${protocol} from ${peer} dropped: ${reason}`);
    await this.node.handle(INFO, (stream, connection) =>
      serveRequest(
        stream,
        INFO_LIMITS,
        (body) => answerInfo(body, this.participantInfo()),
        drop(INFO, connection.remotePeer.toString()),
      ));
    await this.node.handle(RESOURCES, (stream, connection) =>
      serveRequest(
        stream,
        RESOURCES_LIMITS,
        (body) => answerResources(body, this.catalog),
        drop(RESOURCES, connection.remotePeer.toString()),
      ));
    await this.node.handle(REGISTRIES, (stream, connection) =>
      serveRequest(
        stream,
        REGISTRIES_LIMITS,
        (body) => answerRegistries(body, this.registry),
        drop(REGISTRIES, connection.remotePeer.toString()),
      ));
    await this.node.handle(STREAM, this.#producer.handler, {
      maxInboundStreams: 64,
    });
  }

  /** This peer's id. */
  get peerId(): string {
    return this.node.peerId.toString();
  }

  /** The addresses peers can dial, each ending in `/p2p/<peer id>`. */
  multiaddrs(): string[] {
    return this.node.getMultiaddrs().map(String);
  }

  /** This participant's ParticipantInfo now. */
  participantInfo(): ParticipantInfo {
    return {
      app: APP,
      name: this.#name,
      session_id: this.sessionId,
      session_clock_id: this.clocks.session.ref.id,
      session_clock_hash: this.clocks.session.ref.hash,
      session_now_ns: this.clocks.session.now(),
      cluster_joined_at_ns: null,
      peer_id: this.peerId,
      app_instance: this.#instance,
      is_manager: false,
      manager_peer_id: "",
    };
  }

  /**
   * Ends every subscription with `producer_shutting_down`, stops the sensors
   * and the network, and flushes the logs.
   */
  async stop(): Promise<void> {
    await this.#producer.stop();
    for (const sensor of this.#sensors) {
      await sensor.stop().catch((error) =>
        this.#logger.warn(`stopping ${sensor.resource.id}: ${describe(error)}`)
      );
    }
    await this.#timeTransform.stop();
    await this.node.stop();
    this.#lock.release();
  }
}
