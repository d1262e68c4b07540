/**
 * The agent: one peer identity, its sensors recorded as logs, and the Auki
 * protocols serving them (info, resources, registries, stream), alone or as
 * a member of a cluster.
 *
 * @module
 */
import { hostname } from "node:os";
import { join } from "node:path";
import type { Ed25519PrivateKey, Libp2p } from "@libp2p/interface";
import { ulid } from "ulid";
import type { SensorDriver } from "../drivers/driver.ts";
import { Catalog } from "./catalog/catalog.ts";
import { type AgentClocks, registerClocks } from "./clocks/clocks.ts";
import { TimeTransformLog } from "./clocks/time_transform_log.ts";
import { StaticTransforms } from "./calibration/static_transforms.ts";
import { advertisedMultiaddrs } from "./cluster/advertised.ts";
import {
  ClusterService,
  type MembershipChange,
} from "./cluster/cluster_service.ts";
import type { ClusterSettings } from "./cluster/cluster_state.ts";
import { DomainTimeLog } from "./cluster/domain_time_log.ts";
import { joinRefusalService } from "./cluster/join_refusal.ts";
import { MembershipDump } from "./cluster/membership_dump.ts";
import { type GenBMode, genbMode } from "./genb/genb_mode.ts";
import type { GenBSettings } from "./genb/settings.ts";
import { appInstance } from "./identity/app_instance.ts";
import { loadOrCreateSeed } from "./identity/seed_file.ts";
import { peerKeyFromSeed } from "./identity/wallet.ts";
import type { Logger } from "../core/logging.ts";
import { removeStaleSessionLogs } from "./logs/stale_sessions.ts";
import { createNode, trustListenAddresses } from "./node.ts";
import { describe } from "./protocols/exchange.ts";
import { MembershipGate } from "./protocols/gate.ts";
import { infoService, type ParticipantInfo } from "./protocols/info.ts";
import { registriesService } from "./protocols/registries.ts";
import { resourcesService } from "./protocols/resources.ts";
import type { Service } from "./protocols/service.ts";
import { libp2pListenError } from "./listen_errors.ts";
import { prepareStorage } from "./storage_folder.ts";
import { StreamProducer } from "./protocols/stream_producer.ts";
import { RegistryStore } from "./registries/store.ts";
import { HostedSensor } from "./sensors/sensor_host.ts";
import { LiveCalibration } from "./calibration/live_calibration.ts";
import type { Retention } from "./catalog/own_log.ts";
import { lockStorage, type StorageLock } from "./storage_lock.ts";
import { tightenStorage, useOwnerOnlyModes } from "./private_storage.ts";
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
const APP = "auki-edge";

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
  /** Gen-B mode: serve an authenticated domain instead of generation A. */
  auth?: GenBSettings;
  /** Where log lines go. */
  logger: Logger;
}

/** A running agent: the composition root of its parts and services. */
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
  readonly cluster: ClusterService | undefined;
  /** Relay reservations, when relays are configured. */
  readonly relays: RelayReservations | undefined;
  /** Gen-B mode (authenticated domain), when configured. */
  readonly genb: GenBMode | undefined;
  /** Sensor health, rates, traffic and process figures. */
  readonly observer: AgentObserver;
  readonly #name: string;
  readonly #instance: string;
  readonly #logger: Logger;
  readonly #producer: StreamProducer;
  readonly #services: Service[];
  readonly #sensors: HostedSensor[];
  readonly #calibrations: LiveCalibration;
  readonly #timeTransform: TimeTransformLog;
  readonly #statics: StaticTransforms;
  readonly #lock: StorageLock;
  readonly #storage: string;
  readonly #dump: MembershipDump;
  readonly #status: StatusFile;
  readonly #stopPathLog: () => void;
  #domainTime: DomainTimeLog | undefined;

  private constructor(init: {
    node: Libp2p;
    sessionId: string;
    clocks: AgentClocks;
    catalog: Catalog;
    registry: RegistryStore;
    cluster: ClusterService | undefined;
    relays: RelayReservations | undefined;
    gate: MembershipGate;
    name: string;
    logger: Logger;
    sensors: HostedSensor[];
    failed: FailedSensor[];
    calibrations: LiveCalibration;
    timeTransform: TimeTransformLog;
    statics: StaticTransforms;
    lock: StorageLock;
    storage: string;
    dump: MembershipDump;
    auth?: GenBSettings;
    privateKey: Ed25519PrivateKey;
    announce?: string[];
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
    this.#sensors = init.sensors;
    this.#calibrations = init.calibrations;
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
    const { node, gate, logger } = init;
    const protocols = { node, gate, logger: logger.child("protocols") };
    this.#producer = new StreamProducer(
      { catalog: this.catalog },
      { node, gate, logger: logger.child("stream") },
    );
    this.observer = new AgentObserver({
      catalog: init.catalog,
      sensors: init.sensors,
      failed: init.failed,
      traffic: this.#producer.traffic,
      node,
      cluster: init.cluster,
    });
    this.genb = init.auth && genbMode(init.auth, {
      privateKey: init.privateKey,
      announce: init.announce,
      participantInfo: () => this.participantInfo(),
      rows: (variants) => this.catalog.rows(variants),
      registry: this.registry,
      stream: this.#producer.handler,
    }, protocols);
    // Gen-B mode serves only the authenticated protocols.
    this.#services = this.genb ? [this.genb] : [
      infoService({ participantInfo: () => this.participantInfo() }, protocols),
      resourcesService({ catalog: this.catalog }, protocols),
      registriesService({ registry: this.registry }, protocols),
      this.#producer,
      this.cluster ?? joinRefusalService(protocols),
    ];
    this.cluster?.addEventListener("membership", (event) => {
      const { cluster, membership } =
        (event as CustomEvent<MembershipChange>).detail;
      this.#dump.write(cluster, membership);
      this.#status.refresh();
    });
    this.relays?.addEventListener("change", () => {
      this.#status.refresh();
      this.cluster?.readvertise();
    });
    this.genb?.booking?.addEventListener(
      "change",
      () => this.#status.refresh(),
    );
    this.#stopPathLog = logConnectionPaths(
      node,
      this.relays?.peerIds() ?? new Set(),
      logger.child("net"),
    );
  }

  /** Starts an agent: identity, clocks, logs, sensors, the network, then the cluster. */
  static async start(options: AgentOptions): Promise<Agent> {
    const { storage, logger } = options;
    if (!mapLargeBuffers()) {
      logger.debug("not glibc: large buffers are left to the C library");
    }
    useOwnerOnlyModes();
    await prepareStorage(storage);
    const lock = await lockStorage(storage);
    try {
      await tightenStorage(storage, logger);
      const privateKey = await peerKeyFromSeed(
        await loadOrCreateSeed(options.seedPath),
      );
      const node = await createNode({
        privateKey,
        listen: options.listen,
        logger,
      });
      const peerId = node.peerId.toString();
      const sessionId = ulid();
      const registry = new RegistryStore(peerId, join(storage, "registries"));
      const clocks = await registerClocks(registry, peerId, sessionId);
      await removeStaleSessionLogs(storage, peerId, clocks.session.ref, logger);
      const catalog = new Catalog();
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
      const sensorContext = {
        peerId,
        sessionId,
        clock: clocks.utc,
        registry,
        catalog,
        storage,
        logger: logger.child("sensor"),
      };
      const sensors = await startSensors(
        options.sensors,
        failed,
        sensorContext,
      );
      const calibrations = await LiveCalibration.start(
        sensors,
        sensorContext,
      );
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
      const relays = options.relays?.length
        ? new RelayReservations(node, options.relays, logger.child("relay"))
        : undefined;
      const gate = new MembershipGate(logger.child("gate"));
      const cluster = options.cluster &&
        new ClusterService(options.cluster, {
          node,
          gate,
          logger,
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
        });
      const agent = new Agent({
        node,
        sessionId,
        clocks,
        catalog,
        registry,
        cluster,
        relays,
        gate,
        name: options.name ?? hostname(),
        logger,
        sensors,
        failed,
        calibrations,
        timeTransform,
        statics,
        lock,
        storage,
        dump,
        auth: options.auth,
        privateKey,
        announce: options.announce,
      });
      for (const service of agent.#services) await service.start();
      try {
        await node.start();
      } catch (error) {
        throw libp2pListenError(error);
      }
      trustListenAddresses(node);
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
        {
          event: "serving",
          peer_id: peerId,
          resources: catalog.rows().length,
          multiaddrs: listening,
        },
      );
      for (const service of agent.#services) service.afterStart?.();
      cluster?.joined.then(() => agent.#startDomainTime()).catch(() => {});
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
      logger: this.#logger,
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

  /** The agent's state now, as the status file and `/api/status` hold it. */
  status(): AgentStatus {
    return {
      pid: Deno.pid,
      peer_id: this.peerId,
      multiaddrs: this.multiaddrs(),
      cluster: this.#clusterStatus(),
      relays: this.relays?.status() ?? [],
      relay_booking: this.genb?.booking?.status() ?? null,
      ...this.observer.status(),
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
   * cluster, stops the sensors, the services and the network, and flushes
   * the logs.
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
    await this.#calibrations.stop();
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
    // Removes the remaining handlers; the stream and cluster services were
    // stopped first, and stopping them again does nothing.
    for (const service of this.#services) await service.stop();
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
