/**
 * The stored static transforms, published as the canonical static-transform
 * shape (spec cluster.md 8): per frame pair a sealed, `rigid` `pose_log`
 * `<from>-><to>` holding one `auki.pose.SpatialTransform`, timestamped on
 * the UTC clock at the time it was saved, source `{"kind":"manual"}`, with
 * both frames in the registry. The logs are rebuilt from the store (their
 * source of truth) at start, and the store is re-read every second so a
 * transform saved while the agent runs is published (or republished) live.
 *
 * @module
 */
import { create, toBinary } from "@bufbuild/protobuf";
import type { Catalog } from "../catalog/catalog.ts";
import type { LogResource } from "../catalog/log_resource.ts";
import { openOwnLog, type OwnLogContext } from "../catalog/own_log.ts";
import type { Clock } from "../clocks/clocks.ts";
import { canonicalJson } from "../../core/codec/json.ts";
import { logDir } from "../logs/log_dirs.ts";
import type { Logger } from "../../core/logging.ts";
import { SpatialTransformSchema } from "../../core/proto/gen/auki/pose_pb.ts";
import type { RegistryStore } from "../registries/store.ts";
import { poseLogId, poseLogSpec } from "../sensors/pose_log.ts";
import { CalibrationStore, type TransformRecord } from "./store.ts";

/** What {@link StaticTransforms.start} needs: where the logs go, and more. */
export interface StaticTransformsContext extends OwnLogContext {
  /** The UTC clock the entries are timestamped on. */
  clock: Clock;
  /** The local registry (frames go there). */
  registry: RegistryStore;
  /** The catalog the pose logs join. */
  catalog: Catalog;
  /** How often the store is re-read, ms (default 1000). */
  pollMs?: number;
}

/** The encoded `SpatialTransform` of a stored transform. */
function spatialTransformPayload(record: TransformRecord): Uint8Array {
  const [x, y, z] = record.translation;
  const [qx, qy, qz, qw] = record.rotation;
  return toBinary(
    SpatialTransformSchema,
    create(SpatialTransformSchema, {
      translation: { x, y, z },
      orientation: { x: qx, y: qy, z: qz, w: qw },
    }),
  );
}

/** The UTC timestamp (ns) a stored item was saved at. */
function savedAtNs(savedAt: string): bigint {
  return BigInt(Date.parse(savedAt)) * 1_000_000n;
}

/** The published static transforms, kept in step with the store. */
export class StaticTransforms {
  readonly #context: StaticTransformsContext;
  readonly #store: CalibrationStore;
  readonly #published = new Map<
    string,
    { canonical: string; resource: LogResource }
  >();
  readonly #logger: Logger;
  #timer: ReturnType<typeof setInterval> | undefined;
  #syncing: Promise<void> = Promise.resolve();

  private constructor(context: StaticTransformsContext) {
    this.#context = context;
    this.#store = new CalibrationStore(context.storage);
    this.#logger = context.logger.child("calibration");
  }

  /** Publishes the stored transforms and follows the store from then on. */
  static async start(
    context: StaticTransformsContext,
  ): Promise<StaticTransforms> {
    const transforms = new StaticTransforms(context);
    await transforms.sync();
    transforms.#timer = setInterval(
      () => transforms.sync(),
      context.pollMs ?? 1000,
    );
    return transforms;
  }

  /** Publishes new and changed transforms and withdraws removed ones. */
  sync(): Promise<void> {
    this.#syncing = this.#syncing.then(() => this.#sync()).catch((error) =>
      this.#logger.error(`cannot publish the static transforms: ${error}`)
    );
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    const stored = await this.#store.list(
      "transforms",
      (path, error) => this.#logger.warn(`skipping ${path}: ${error}`),
    );
    const wanted = new Map(stored.map(({ record }) => [
      poseLogId(
        { id: record.from_frame.frame_id },
        { id: record.to_frame.frame_id },
      ),
      record,
    ]));
    for (const [id, published] of this.#published) {
      const record = wanted.get(id);
      if (
        record === undefined || canonicalJson(record) !== published.canonical
      ) {
        await this.#withdraw(id);
      }
    }
    for (const [id, record] of wanted) {
      if (this.#published.has(id)) continue;
      try {
        await this.#publish(id, record);
      } catch (error) {
        this.#logger.error(`static transform "${id}" not published: ${error}`);
      }
    }
  }

  async #publish(id: string, record: TransformRecord): Promise<void> {
    const { peerId, registry, catalog, clock, storage } = this.#context;
    const fromFrame = await registry.put("frame", {
      ...record.from_frame,
      peer_id: peerId,
    });
    const toFrame = await registry.put("frame", {
      ...record.to_frame,
      peer_id: peerId,
    });
    // The store is the source of truth: the one-sample log is written anew.
    await Deno.remove(logDir(storage, peerId, id), { recursive: true })
      .catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    const at = savedAtNs(record.saved_at);
    const resource = await openOwnLog(
      { ...this.#context, logger: this.#logger },
      poseLogSpec(
        {
          peerId,
          fromFrame,
          toFrame,
          clock: clock.ref,
          writerMode: "rigid",
          rateHz: 0,
          nowNs: clock.now(),
        },
        { retentionNs: 0n, cacheBytes: 4096 },
        { start_at_ns: at, finish_at_ns: at },
      ),
    );
    const log = resource.log;
    log.append(at, spatialTransformPayload(record));
    try {
      catalog.add(resource);
    } catch (error) {
      await log.close();
      throw error;
    }
    resource.goOnline();
    this.#published.set(id, { canonical: canonicalJson(record), resource });
    this.#logger.info(`static transform ${id} published`);
  }

  async #withdraw(id: string): Promise<void> {
    const published = this.#published.get(id)!;
    this.#published.delete(id);
    published.resource.goOffline("source_ended");
    this.#context.catalog.delete(id);
    await published.resource.log.close();
  }

  /** Stops following the store and withdraws every transform. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#syncing;
    for (const id of [...this.#published.keys()]) await this.#withdraw(id);
  }
}
