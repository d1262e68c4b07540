/**
 * Cluster time: a `time_transform_log` from this peer's session clock to the
 * cluster's domain clock, sampled every second from the heartbeat-echo
 * estimate (or exactly, on the Manager), with its uncertainty.
 *
 * @module
 */
import { create, toBinary } from "@bufbuild/protobuf";
import type { Catalog } from "../catalog/catalog.ts";
import type { LogResource } from "../catalog/log_resource.ts";
import { openOwnLog, type OwnLogContext } from "../catalog/own_log.ts";
import type { Clock } from "../clocks/clocks.ts";
import { TimeTransformEntrySchema } from "../../core/proto/gen/auki/time_transform_pb.ts";
import type { RegistryRef } from "../../core/registries/entries.ts";
import type { ClusterService } from "./cluster_service.ts";
import { domainClockHash, domainClockId } from "./domain_clock.ts";

const HOUR_NS = 3_600_000_000_000n;
const U32_MAX = 0xffff_ffffn;
const PERIOD_MS = 1_000;

/** What {@link DomainTimeLog.start} needs: where the log goes, and more. */
export interface DomainTimeLogOptions extends OwnLogContext {
  /** The cluster this peer belongs to (joined). */
  cluster: ClusterService;
  /** The session clock: the from-clock. */
  session: Clock;
  /** The catalog the log is served in. */
  catalog: Catalog;
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
    const { cluster, session } = options;
    const name = cluster.status().name;
    // The domain clock is named by reference only: it is no clock entry,
    // so a `clock` lookup of it answers `{"entry":null}`, as on a Rust
    // Manager, never a body of another kind under kind `clock`.
    const declared = { id: domainClockId(name), hash: domainClockHash(name) };
    const toClock = (): RegistryRef => ({
      ...declared,
      peer_id: cluster.status().managerPeerId,
    });
    const source = { kind: "local_clock_read" } as const;
    const manifest = { from_clock: session.ref, to_clock: toClock(), source };
    const resource = await openOwnLog(options, {
      id: `${session.entry.clock_id}->${declared.id}`,
      fields: { ...manifest },
      retention: { retentionNs: HOUR_NS, cacheBytes: 64 * 1024 },
      nowNs: session.now(),
      kind: () => ({ variant: "time_transform_log", manifest }),
    });
    const log = resource.log;
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
