/**
 * The agent: one peer identity, its sensors recorded as logs, and the Auki
 * protocols serving them (info, resources, registries, stream), alone or as
 * a member of a cluster.
 *
 * @module
 */
import { hostname } from "node:os";
import { join } from "node:path";
import type {
  Connection,
  Libp2p,
  Stream,
  StreamHandler,
} from "@libp2p/interface";
import { ulid } from "ulid";
import type { SensorDriver } from "../drivers/driver.ts";
import { Catalog } from "./catalog/catalog.ts";
import { type AgentClocks, registerClocks } from "./clocks/clocks.ts";
import { TimeTransformLog } from "./clocks/time_transform_log.ts";
import { StaticTransforms } from "./calibration/static_transforms.ts";
import { advertisedMultiaddrs } from "./cluster/advertised.ts";
import {
  ClusterManager,
  type ClusterSettings,
} from "./cluster/cluster_manager.ts";
import { DomainTimeLog } from "./cluster/domain_time_log.ts";
import { MembershipDump } from "./cluster/membership_dump.ts";
import {
  decodeJoinRequest,
  encodeJoinAnswer,
  JOIN_LIMITS,
} from "./cluster/join_protocol.ts";
import { appInstance } from "./identity/app_instance.ts";
import { loadOrCreateSeed } from "./identity/seed_file.ts";
import { peerKeyFromSeed } from "./identity/wallet.ts";
import { type Logger, rateLimited } from "./logging.ts";
import { removeStaleSessionLogs } from "./logs/stale_sessions.ts";
import { createNode, trustListenAddresses } from "./node.ts";
import { describe, serveRequest } from "./protocols/exchange.ts";
import {
  HEARTBEAT,
  INFO,
  JOIN,
  MEMBERSHIP,
  OVER_RELAYS,
  REGISTRIES,
  RESOURCES,
  STREAM,
} from "./protocols/ids.ts";
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
import { mapLargeBuffers } from "./memory.ts";
import { logConnectionPaths } from "./relay/connection_paths.ts";
import {
  FIRST_RESERVATION_WAIT_MS,
  RelayReservations,
} from "./relay/reservations.ts";
import { type AgentStatus, StatusFile } from "./status_file.ts";
import { AgentObserver, type FailedSensor } from "./observe/observer.ts";

type AgentStatusCluster = AgentStatus["cluster"];

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
  /** Multiaddrs to advertise instead of the listen addresses. */
  announce?: string[];
  /** Circuit Relay v2 relays to hold reservations on (`.../p2p/<relay id>`). */
  relays?: string[];
  /** Sensors to run. */
  sensors: SensorSpec[];
  /** The cluster to be a member of; standalone without. */
  cluster?: ClusterSettings;
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
  /** Cluster membership, when the agent is configured for a cluster. */
  readonly cluster: ClusterManager | undefined;
  /** Relay reservations, when relays are configured. */
  readonly relays: RelayReservations | undefined;
  /** Sensor health, rates, traffic and process figures. */
  readonly observer: AgentObserver;
  /** The running sensors. */
  readonly sensors: readonly HostedSensor[];
  readonly #name: string;
  readonly #instance: string;
  readonly #logger: Logger;
  readonly #producer: StreamProducer;
  readonly #sensors: HostedSensor[];
  readonly #timeTransform: TimeTransformLog;
  readonly #statics: StaticTransforms;
  readonly #lock: StorageLock;
  readonly #storage: string;
  readonly #dump: MembershipDump;
  readonly #status: StatusFile;
  #domainTime: DomainTimeLog | undefined;
  #stopPathLog: () => void = () => {};

  private constructor(init: {
    node: Libp2p;
    sessionId: string;
    clocks: AgentClocks;
    catalog: Catalog;
    registry: RegistryStore;
    cluster: ClusterManager | undefined;
    relays: RelayReservations | undefined;
    name: string;
    logger: Logger;
    producer: StreamProducer;
    sensors: HostedSensor[];
    failed: FailedSensor[];
    timeTransform: TimeTransformLog;
    statics: StaticTransforms;
    lock: StorageLock;
    storage: string;
    dump: MembershipDump;
  }) {
    this.node = init.node;
    this.sessionId = init.sessionId;
    this.clocks = init.clocks;
    this.catalog = init.catalog;
    this.registry = init.registry;
    this.cluster = init.cluster;
    this.relays = init.relays;
    this.#name = init.name;
    this.#instance = appInstance();
    this.#logger = init.logger;
    this.#producer = init.producer;
    this.#sensors = init.sensors;
    this.sensors = init.sensors;
    this.observer = new AgentObserver({
      catalog: init.catalog,
      sensors: init.sensors,
      failed: init.failed,
      traffic: init.producer.traffic,
      node: init.node,
      cluster: init.cluster,
    });
    this.#timeTransform = init.timeTransform;
    this.#statics = init.statics;
    this.#lock = init.lock;
    this.#storage = init.storage;
    this.#dump = init.dump;
    this.#status = new StatusFile(
      init.storage,
      init.logger,
      () => this.status(),
    );
  }

  /** The agent's state now, as the status file and `/api/status` hold it. */
  status(): AgentStatus {
    return {
      pid: Deno.pid,
      peer_id: this.peerId,
      multiaddrs: this.multiaddrs(),
      cluster: this.#clusterStatus(),
      relays: this.relays?.status() ?? [],
      ...this.observer.status(),
    };
  }

  /** Starts an agent: identity, clocks, logs, sensors, the network, then the cluster. */
  static async start(options: AgentOptions): Promise<Agent> {
    const { storage, logger } = options;
    if (!mapLargeBuffers()) {
      logger.debug("not glibc: large buffers are left to the C library");
    }
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
      const failed: FailedSensor[] = [];
      const sensors = await startSensors(options.sensors, failed, {
        peerId,
        sessionId,
        clock: clocks.utc,
        registry,
        catalog,
        storage,
        logger: logger.child("sensor"),
      });
      const statics = await StaticTransforms.start({
        peerId,
        sessionId,
        clock: clocks.utc,
        registry,
        catalog,
        storage,
        logger,
      });
      await MembershipDump.clear(storage);
      const dump = new MembershipDump(storage, logger);
      let addressesChanged = () => {};
      let membershipChanged = () => {};
      const relays = options.relays?.length
        ? new RelayReservations(
          node,
          options.relays,
          logger.child("relay"),
          () => addressesChanged(),
        )
        : undefined;
      const cluster = options.cluster && new ClusterManager(options.cluster, {
        node,
        clocks,
        advertised: () => advertisedMultiaddrs(node, options.announce),
        reachable: relays && (async () => {
          if (!await relays.firstReservation(FIRST_RESERVATION_WAIT_MS)) {
            logger.warn(
              `no relay reservation within ${
                FIRST_RESERVATION_WAIT_MS / 1000
              } s; entering the cluster with the direct addresses, the circuit addresses follow once reserved`,
            );
          }
        }),
        logger,
        onMembership: (name, membership) => {
          dump.write(name, membership);
          membershipChanged();
        },
      });
      const agent = new Agent({
        node,
        sessionId,
        clocks,
        catalog,
        registry,
        cluster,
        relays,
        name: options.name ?? hostname(),
        logger,
        producer,
        sensors,
        failed,
        timeTransform,
        statics,
        lock,
        storage,
        dump,
      });
      await agent.#serve();
      agent.#stopPathLog = logConnectionPaths(
        node,
        relays?.peerIds() ?? new Set(),
        logger.child("net"),
      );
      await node.start();
      trustListenAddresses(node);
      membershipChanged = () => agent.#status.refresh();
      addressesChanged = () => {
        agent.#status.refresh();
        agent.cluster?.readvertise();
      };
      relays?.start();
      agent.observer.start();
      agent.#status.start();
      const listening = agent.multiaddrs();
      logger.info(
        `peer ${peerId} serving ${catalog.rows().length} resources ${
          listening.length > 0
            ? `on ${listening.join(" ")}`
            : "without listening (reachable through its relays only)"
        }`,
      );
      if (cluster !== undefined) {
        cluster.start();
        cluster.joined.then(() => agent.#startDomainTime()).catch(() => {});
      }
      return agent;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  async #startDomainTime(): Promise<void> {
    this.#domainTime = await DomainTimeLog.start({
      cluster: this.cluster!,
      session: this.clocks.session,
      peerId: this.peerId,
      sessionId: this.sessionId,
      storage: this.#storage,
      catalog: this.catalog,
      registry: this.registry,
      logger: this.#logger,
    });
  }

  async #serve(): Promise<void> {
    const log = this.#logger.child("protocols");
    const drop = (protocol: string, peer: string) => (reason: string) =>
      log.warn(`${protocol} from ${peer} dropped: ${reason}`);
    const request = (
      protocol: string,
      limits: { maxBytes: number; allowEmpty?: boolean },
      answer: (body: Uint8Array) => Uint8Array | Promise<Uint8Array>,
    ): StreamHandler =>
    (stream, connection) =>
      serveRequest(
        stream,
        limits,
        answer,
        drop(protocol, connection.remotePeer.toString()),
      );
    const handlers: [string, StreamHandler, number?][] = [
      [
        INFO,
        request(
          INFO,
          INFO_LIMITS,
          (b) => answerInfo(b, this.participantInfo()),
        ),
      ],
      [
        RESOURCES,
        request(
          RESOURCES,
          RESOURCES_LIMITS,
          (b) => answerResources(b, this.catalog),
        ),
      ],
      [
        REGISTRIES,
        request(
          REGISTRIES,
          REGISTRIES_LIMITS,
          (b) => answerRegistries(b, this.registry),
        ),
      ],
      [STREAM, this.#producer.handler, 64],
    ];
    const cluster = this.cluster;
    if (cluster === undefined) {
      await this.node.handle(
        JOIN,
        request(JOIN, JOIN_LIMITS, (body) =>
          encodeJoinAnswer(
            { kind: "reject", reason: "not the manager" },
            decodeJoinRequest(body).encoding,
          )),
        OVER_RELAYS,
      );
    } else {
      await this.node.handle(JOIN, cluster.handleJoin, OVER_RELAYS);
      handlers.push([MEMBERSHIP, cluster.handleMembership], [
        HEARTBEAT,
        cluster.handleHeartbeat,
      ]);
    }
    for (const [protocol, handler, maxInboundStreams] of handlers) {
      await this.node.handle(
        protocol,
        cluster === undefined ? handler : this.#gated(protocol, handler),
        { ...OVER_RELAYS, ...(maxInboundStreams ? { maxInboundStreams } : {}) },
      );
    }
  }

  /**
   * The membership gate: in a cluster, every Auki protocol but join from a
   * peer that is not a member is dropped, as Rust peers do.
   */
  #gated(protocol: string, handler: StreamHandler): StreamHandler {
    const refused = rateLimited(
      10_000,
      (m) => this.#logger.child("gate").info(m),
    );
    return (stream: Stream, connection: Connection) => {
      const peer = connection.remotePeer.toString();
      if (this.cluster!.admits(peer)) return handler(stream, connection);
      refused(`dropped ${protocol} from ${peer}: not a member of the cluster`);
      stream.abort(new Error("not a cluster member"));
    };
  }

  /** This peer's id. */
  get peerId(): string {
    return this.node.peerId.toString();
  }

  /** The addresses peers can dial, each ending in `/p2p/<peer id>`. */
  multiaddrs(): string[] {
    return this.node.getMultiaddrs().map(String);
  }

  #clusterStatus(): AgentStatusCluster {
    const cluster = this.cluster;
    const membership = cluster?.membership();
    if (cluster === undefined || membership === undefined) return null;
    const status = cluster.status();
    return {
      name: status.name,
      is_manager: status.isManager,
      manager_peer_id: status.managerPeerId,
      members: membership.peers.length,
    };
  }

  /** This participant's ParticipantInfo now. */
  participantInfo(): ParticipantInfo {
    const cluster = this.cluster?.status();
    return {
      app: APP,
      name: this.#name,
      session_id: this.sessionId,
      session_clock_id: this.clocks.session.ref.id,
      session_clock_hash: this.clocks.session.ref.hash,
      session_now_ns: this.clocks.session.now(),
      cluster_joined_at_ns: cluster?.joinedAtNs ?? null,
      peer_id: this.peerId,
      app_instance: this.#instance,
      is_manager: cluster?.isManager ?? false,
      manager_peer_id: cluster?.managerPeerId ?? "",
    };
  }

  /**
   * Ends every subscription with `producer_shutting_down`, leaves the
   * cluster, stops the sensors and the network, and flushes the logs.
   */
  async stop(): Promise<void> {
    await this.#producer.stop();
    this.relays?.stop();
    await this.cluster?.stop();
    if (this.cluster !== undefined) {
      this.#dump.write(this.cluster.status().name, undefined);
      await this.#dump.flushed();
    }
    await this.#domainTime?.stop();
    for (const sensor of this.#sensors) {
      await sensor.stop().catch((error) =>
        this.#logger.warn(`stopping ${sensor.resource.id}: ${describe(error)}`)
      );
    }
    await this.#statics.stop();
    await this.#timeTransform.stop();
    await this.#status.stop();
    this.observer.stop();
    this.#stopPathLog();
    await this.node.stop();
    this.#lock.release();
  }
}

/** Starts each sensor; those that fail are logged and added to `failed`. */
async function startSensors(
  specs: SensorSpec[],
  failed: FailedSensor[],
  context: Parameters<typeof HostedSensor.start>[2],
): Promise<HostedSensor[]> {
  const sensors: HostedSensor[] = [];
  for (const spec of specs) {
    try {
      sensors.push(
        await HostedSensor.start(spec.driver, spec.retention, context),
      );
    } catch (error) {
      context.logger.error(describe(error));
      const sensor = spec.driver.description.sensor;
      failed.push({
        resource_id: sensor.sensor_id,
        kind: sensor.kind,
        type: "type" in sensor ? String(sensor.type) : "",
        reason: describe(error),
      });
    }
  }
  return sensors;
}
