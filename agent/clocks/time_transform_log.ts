/**
 * The session-to-UTC `time_transform_log`: a three-read offset sample every
 * second (spec cluster.md 7.2, datatypes.md 2.6), recorded and served like any
 * other resource. Its resource id is `<from clock id>-><to clock id>`.
 *
 * @module
 */
import { create, toBinary } from "@bufbuild/protobuf";
import type { Catalog } from "../catalog/catalog.ts";
import type { LogResource } from "../catalog/log_resource.ts";
import { openOwnLog, type OwnLogContext } from "../catalog/own_log.ts";
import { TimeTransformEntrySchema } from "../../core/proto/gen/auki/time_transform_pb.ts";
import type { Clock } from "./clocks.ts";
import { threeRead } from "../../core/clocks/three_read.ts";

const HOUR_NS = 3_600_000_000_000n;
const U32_MAX = 0xffff_ffffn;

/** Options of {@link TimeTransformLog.start}: where the log goes, and more. */
export interface TimeTransformLogOptions extends OwnLogContext {
  /** Clock the offsets start from (and entries are timestamped on). */
  from: Clock;
  /** Clock the offsets lead to. */
  to: Clock;
  /** The catalog to serve the log in. */
  catalog: Catalog;
  /** Sampling period in ms (default 1000). */
  periodMs?: number;
}

/** A running 1 Hz time transform sampler and its resource. */
export class TimeTransformLog {
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

  /** Opens the log, takes a first sample and samples every period. */
  static async start(
    options: TimeTransformLogOptions,
  ): Promise<TimeTransformLog> {
    const { from, to } = options;
    const manifest = {
      from_clock: from.ref,
      to_clock: to.ref,
      source: { kind: "local_clock_read" },
    } as const;
    const resource = await openOwnLog(options, {
      id: `${from.entry.clock_id}->${to.entry.clock_id}`,
      fields: manifest,
      retention: { retentionNs: HOUR_NS, cacheBytes: 64 * 1024 },
      nowNs: from.now(),
      kind: () => ({ variant: "time_transform_log", manifest }),
    });
    const log = resource.log;
    const sample = () => {
      const { timestampNs, offsetNs, uncertaintyNs } = threeRead(
        from.now,
        to.now,
      );
      log.append(
        timestampNs,
        toBinary(
          TimeTransformEntrySchema,
          create(TimeTransformEntrySchema, {
            offsetNs,
            uncertaintyNs: Number(
              uncertaintyNs > U32_MAX ? U32_MAX : uncertaintyNs,
            ),
          }),
        ),
      );
    };
    sample();
    options.catalog.add(resource);
    resource.goOnline();
    return new TimeTransformLog(
      resource,
      setInterval(sample, options.periodMs ?? 1000),
    );
  }

  /** Stops sampling and closes the log. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.resource.goOffline("source_ended");
    await this.resource.log.close();
  }
}
