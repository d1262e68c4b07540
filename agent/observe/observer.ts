/**
 * The agent's observable state beyond its addresses and cluster: every
 * configured sensor's health and rates, every served log's size, rate and
 * subscribers, libp2p connections, the domain-clock offset and the
 * process's own figures. Rates are sampled once a second from counters
 * the hot paths increment; nothing is computed per sample.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import type { Catalog } from "../catalog/catalog.ts";
import type { LogResource } from "../catalog/log_resource.ts";
import type { ClusterService } from "../cluster/cluster_service.ts";
import type { HostedSensor, SensorStatus } from "../sensors/sensor_host.ts";
import {
  EventLoopLag,
  type ProcessStatus,
  processStatus,
} from "./process_stats.ts";
import type { StreamTraffic } from "./traffic.ts";

const SAMPLE_MS = 1_000;

/** A configured sensor's health, as `/healthz`, `/api/status` and `status --json` show it. */
export interface SensorHealth extends SensorStatus {
  /** Registry sensor kind, e.g. `camera`. */
  kind: string;
  /** Registry sensor type, e.g. `rgb`. */
  type: string;
  /** Why it is offline; null when online. */
  reason: string | null;
  /** Nominal rate, Hz (0 when irregular). */
  expected_rate_hz: number;
  /** Measured rate over the last second, Hz. */
  rate_hz: number;
  /** Measured payload bandwidth over the last second, bytes/s. */
  bytes_per_second: number;
  /** Samples recorded since the agent started. */
  samples: number;
  /** Payload bytes recorded since the agent started. */
  bytes: number;
  /** Samples the log refused. */
  record_errors: number;
  /** Device read or decode failures the driver reported. */
  device_errors: number;
}

/** A served log: its size on disk, rate and subscriptions. */
export interface ResourceStatus {
  /** Its `resource_id`. */
  resource_id: string;
  /** Catalog variant. */
  variant: string;
  /** The sensor's `kind/type`, or the variant for other logs. */
  kind: string;
  /** Stream manifest payload kind. */
  payload: string;
  /** Whether its catalog row is listed. */
  online: boolean;
  /** Entries retained. */
  entries: number;
  /** Payload bytes retained on disk. */
  bytes: number;
  /** Entries per second over the last second. */
  rate_hz: number;
  /** Payload bytes per second over the last second. */
  bytes_per_second: number;
  /** Subscriptions open now. */
  subscribers: number;
  /** Bytes sent to subscribers since the agent started. */
  bytes_sent: number;
}

/** What the observer adds to the status. */
export interface ObservedStatus {
  /** Every configured sensor, including those that failed to start. */
  sensors: SensorHealth[];
  /** Every served log. */
  resources: ResourceStatus[];
  /** Open libp2p connections. */
  connections: { direct: number; relayed: number };
  /** Peer ids of the cluster's members (empty when standalone). */
  members: string[];
  /**
   * This peer's domain-clock offset (domain minus session clock; a decimal
   * string: offsets between sessions may exceed 2^53 ns) and uncertainty,
   * ns, once estimated.
   */
  domain_clock: { offset_ns: string; uncertainty_ns: number } | null;
  /** The process. */
  process: ProcessStatus;
}

/** A sensor that could not be started, and why. */
export interface FailedSensor {
  /** Its sensor id. */
  resource_id: string;
  /** Registry sensor kind. */
  kind: string;
  /** Registry sensor type. */
  type: string;
  /** The start failure. */
  reason: string;
}

/** What the observer reads. */
export interface ObserverSources {
  /** The served resources. */
  catalog: Catalog;
  /** The running sensors. */
  sensors: readonly HostedSensor[];
  /** The sensors that failed to start. */
  failed: readonly FailedSensor[];
  /** Subscriptions per resource. */
  traffic: StreamTraffic;
  /** The libp2p node. */
  node: Libp2p;
  /** The cluster membership, when configured. */
  cluster: ClusterService | undefined;
}

interface Window {
  count: number;
  bytes: number;
  rateHz: number;
  bytesPerSecond: number;
}

/** Samples rates once a second and assembles the observed status. */
export class AgentObserver {
  readonly #sources: ObserverSources;
  readonly #lag = new EventLoopLag();
  readonly #windows = new Map<string, Window>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #sampledAt = 0;

  /** An observer of `sources`; {@link start} begins sampling. */
  constructor(sources: ObserverSources) {
    this.#sources = sources;
  }

  /** Starts sampling rates and event-loop lag. */
  start(): void {
    this.#lag.start();
    this.#sample();
    const timer = setInterval(() => this.#sample(), SAMPLE_MS);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
    this.#lag.stop();
  }

  /** The observed status now. */
  status(): ObservedStatus {
    const { catalog, sensors, failed, traffic, node, cluster } = this.#sources;
    const connections = { direct: 0, relayed: 0 };
    for (const connection of node.getConnections()) {
      if (connection.remoteAddr.toString().includes("/p2p-circuit")) {
        connections.relayed++;
      } else connections.direct++;
    }
    const offset = cluster?.domainOffset();
    return {
      sensors: [
        ...sensors.map((sensor) => this.#health(sensor)),
        ...failed.map((f) => ({
          id: f.resource_id,
          read_failures: 0,
          last_read_failure: null,
          kind: f.kind,
          type: f.type,
          online: false,
          reason: f.reason,
          expected_rate_hz: 0,
          rate_hz: 0,
          bytes_per_second: 0,
          samples: 0,
          bytes: 0,
          record_errors: 0,
          device_errors: 0,
        })),
      ],
      resources: catalog.all().map((resource) => {
        const window = this.#windows.get(resource.id);
        const available = resource.log.available();
        const t = traffic.get(resource.id);
        return {
          resource_id: resource.id,
          variant: resource.variant,
          kind: kindOf(resource),
          payload: resource.streamManifest().payload ?? "",
          online: resource.online,
          entries: Number(available.entries),
          bytes: Number(available.bytes),
          rate_hz: window?.rateHz ?? 0,
          bytes_per_second: window?.bytesPerSecond ?? 0,
          subscribers: t?.subscribers ?? 0,
          bytes_sent: t?.bytesSent ?? 0,
        };
      }),
      connections,
      members: cluster?.membership()?.peers.map((p) => p.peer_id) ?? [],
      domain_clock: offset === undefined ? null : {
        offset_ns: offset.offsetNs.toString(),
        uncertainty_ns: Number(offset.uncertaintyNs),
      },
      process: processStatus(this.#lag),
    };
  }

  #health(sensor: HostedSensor): SensorHealth {
    const { resource, stats } = sensor;
    const window = this.#windows.get(resource.id);
    const kind = resource.kind;
    return {
      ...sensor.status(),
      kind: kind.variant === "sensor_log" ? kind.sensor.kind : kind.variant,
      type: kind.variant === "sensor_log" ? kind.sensor.type : "",
      reason: resource.online ? null : stats.offlineReason ?? "offline",
      expected_rate_hz: kind.variant === "sensor_log" ? kind.expectedRateHz : 0,
      rate_hz: window?.rateHz ?? 0,
      bytes_per_second: window?.bytesPerSecond ?? 0,
      samples: stats.samples,
      bytes: stats.bytes,
      record_errors: stats.recordErrors,
      device_errors: stats.deviceErrors,
    };
  }

  /** Updates every log's rate from its counters since the last sample. */
  #sample(): void {
    const now = performance.now();
    const seconds = (now - this.#sampledAt) / 1000;
    this.#sampledAt = now;
    const recorded = new Map(
      this.#sources.sensors.map((s) => [s.resource.id, s.stats]),
    );
    for (const resource of this.#sources.catalog.all()) {
      const stats = recorded.get(resource.id);
      const count = stats?.samples ?? resource.log.nextIndex;
      const bytes = stats?.bytes ?? Number(resource.log.available().bytes);
      const window = this.#windows.get(resource.id);
      if (window === undefined) {
        this.#windows.set(resource.id, {
          count,
          bytes,
          rateHz: 0,
          bytesPerSecond: 0,
        });
        continue;
      }
      window.rateHz = Math.max(0, (count - window.count) / seconds);
      window.bytesPerSecond = Math.max(0, (bytes - window.bytes) / seconds);
      window.count = count;
      window.bytes = bytes;
    }
  }
}

function kindOf(resource: LogResource): string {
  const kind = resource.kind;
  return kind.variant === "sensor_log"
    ? `${kind.sensor.kind}/${kind.sensor.type}`
    : kind.variant === "pose_log"
    ? `pose/${kind.writerMode}`
    : "time_transform";
}
