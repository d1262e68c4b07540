/**
 * Cluster time: a `time_transform_log` from this peer's session clock to the
 * cluster's domain clock, sampled every second from the heartbeat-echo
 * estimate (or exactly, on the Manager), with its uncertainty.
 *
 * @module
 */
import { create, toBinary } from "@bufbuild/protobuf";
import type { Catalog } from "../catalog/catalog.ts";
import { LogResource } from "../catalog/log_resource.ts";
import type { Clock } from "../clocks/clocks.ts";
import { SegmentLog } from "../logs/log.ts";
import { logDir, segmentDurationFor } from "../logs/log_dirs.ts";
import type { Logger } from "../logging.ts";
import { TimeTransformEntrySchema } from "../proto/gen/auki/time_transform_pb.ts";
import type { RegistryRef } from "../registries/entries.ts";
import type { RegistryStore } from "../registries/store.ts";
import { APP_ID } from "../sensors/sensor_log.ts";
import type { ClusterService } from "./cluster_service.ts";
import { domainClockId, domainClockJson } from "./domain_clock.ts";

const HOUR_NS = 3_600_000_000_000n;
const U32_MAX = 0xffff_ffffn;
const PERIOD_MS = 1_000;

/** What {@link DomainTimeLog.start} needs. */
export interface DomainTimeLogOptions {
  /** The cluster this peer belongs to (joined). */
  cluster: ClusterService;
  /** The session clock: the from-clock. */
  session: Clock;
  /** This peer's id. */
  peerId: string;
  /** The current session id. */
  sessionId: string;
  /** Storage root. */
  storage: string;
  /** The catalog the log is served in. */
  catalog: Catalog;
  /** The registry the domain clock declaration is served from. */
  registry: RegistryStore;
  /** Where log lines go. */
  logger: Logger;
}

/** The running session-to-domain-clock log. */
export class DomainTimeLog {
  /** The served resource. */
  readonly resource: LogResource;
  readonly #timer: ReturnType<typeof setInterval>;

  private constructor(
    resource: LogResource,
    timer: ReturnType<typeof setInterval>,
  ) {
    this.resource = resource;
    this.#timer = timer;
  }

  /** Opens the log and samples every second once an estimate exists. */
  static async start(options: DomainTimeLogOptions): Promise<DomainTimeLog> {
    const { cluster, session, peerId } = options;
    const name = cluster.status().name;
    const declared = options.registry.putCanonical(
      "clock",
      domainClockId(name),
      domainClockJson(name),
    );
    const toClock = (): RegistryRef => ({
      ...declared,
      peer_id: cluster.status().managerPeerId,
    });
    const id = `${session.entry.clock_id}->${declared.id}`;
    const source = { kind: "local_clock_read" } as const;
    const log = await SegmentLog.open(logDir(options.storage, peerId, id), {
      manifest: {
        app_id: APP_ID,
        session_id: options.sessionId,
        source_peer_id: peerId,
        writer_peer_id: peerId,
        from_clock: session.ref,
        to_clock: toClock(),
        source,
        segment_duration_ns: segmentDurationFor(HOUR_NS),
        retention_ns: HOUR_NS,
      },
      cacheBytes: 64 * 1024,
      logger: options.logger,
    });
    const manifest = { from_clock: session.ref, to_clock: toClock(), source };
    const resource = new LogResource({
      id,
      sourcePeerId: peerId,
      writerPeerId: peerId,
      log,
      kind: { variant: "time_transform_log", manifest },
    });
    options.catalog.add(resource);
    const sample = () => {
      const estimate = cluster.domainOffset();
      if (estimate === undefined) return;
      manifest.to_clock = toClock();
      log.append(
        session.now(),
        toBinary(
          TimeTransformEntrySchema,
          create(TimeTransformEntrySchema, {
            offsetNs: estimate.offsetNs,
            uncertaintyNs: Number(
              estimate.uncertaintyNs > U32_MAX
                ? U32_MAX
                : estimate.uncertaintyNs,
            ),
          }),
        ),
      );
      resource.goOnline();
    };
    sample();
    return new DomainTimeLog(resource, setInterval(sample, PERIOD_MS));
  }

  /** Stops sampling and closes the log. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.resource.goOffline("source_ended");
    await this.resource.log.close();
  }
}
