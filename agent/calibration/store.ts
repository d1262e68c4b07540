/**
 * The calibration store: what the `calibrate` tasks saved, one JSON file per
 * item under `<storage>/calibration/<kind>/<id>.json` (the id
 * percent-encoded), written atomically (a temporary file renamed over the
 * old one). The agent reads it at start: camera calibrations go into the
 * camera's sensor registry entry, joint offsets into the joint-encoder
 * driver, static transforms become sealed rigid pose logs (all three are
 * picked up live, see `live_calibration.ts` and `static_transforms.ts`).
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { parseJson } from "../../core/codec/json.ts";
import {
  CameraCalibration,
  FrameEntry,
  RegistryId,
} from "../../core/registries/entries.ts";
import { writeFileAtomic } from "../../core/files.ts";

const finite = z.number().refine(Number.isFinite, "must be finite");
const savedAt = z.iso.datetime();

/** A camera's intrinsics and distortion, for its published image size. */
export const CameraRecord = z.strictObject({
  sensor_id: RegistryId,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  distortion_model: z.enum([
    "plumb_bob",
    "brown_conrady",
    "rational_polynomial",
    "equidistant",
  ]),
  calibration: CameraCalibration,
  // Absent for a calibration imported from camera_info YAML.
  rms_px: finite.optional(),
  views: z.number().int().positive().optional(),
  saved_at: savedAt,
});
/** A camera's intrinsics and distortion. */
export type CameraRecord = z.output<typeof CameraRecord>;

/** A joint-encoder bank's per-joint zero offsets and directions: `angle = direction * raw + offset_rad`. */
export const JointsRecord = z.strictObject({
  sensor_id: RegistryId,
  offsets_rad: z.array(finite).min(1),
  directions: z.array(z.union([z.literal(1), z.literal(-1)])).min(1),
  reference_rad: z.array(finite).min(1),
  saved_at: savedAt,
}).refine(
  (r) =>
    r.directions.length === r.offsets_rad.length &&
    r.reference_rad.length === r.offsets_rad.length,
  "offsets, directions and reference need one value per joint",
);
/** A joint-encoder bank's per-joint zero offsets and directions. */
export type JointsRecord = z.output<typeof JointsRecord>;

const FrameBody = FrameEntry.transform(({ peer_id: _, ...frame }) => frame);

/**
 * A static transform `p_to = R(rotation) * p_from + translation` between two
 * frames, with both frames' conventions.
 */
export const TransformRecord = z.strictObject({
  from_frame: z.looseObject({ peer_id: z.string().default("") }).pipe(
    FrameBody,
  ),
  to_frame: z.looseObject({ peer_id: z.string().default("") }).pipe(
    FrameBody,
  ),
  translation: z.tuple([finite, finite, finite]),
  rotation: z.tuple([finite, finite, finite, finite]),
  method: z.enum(["manual", "pnp"]),
  saved_at: savedAt,
});
/** A static transform between two frames. */
export type TransformRecord = z.output<typeof TransformRecord>;

const SCHEMAS = {
  camera: CameraRecord,
  joints: JointsRecord,
  transforms: TransformRecord,
} as const;
/** The kinds of stored calibration. */
export type CalibrationKind = keyof typeof SCHEMAS;
type RecordOf<K extends CalibrationKind> = z.output<typeof SCHEMAS[K]>;

/** The calibration store of one storage root. */
export class CalibrationStore {
  /** The store's directory, `<storage>/calibration`. */
  readonly dir: string;

  /** The store of `storage`. */
  constructor(storage: string) {
    this.dir = join(storage, "calibration");
  }

  /** The file of item `id` of `kind`. */
  path(kind: CalibrationKind, id: string): string {
    return join(this.dir, kind, `${encodeURIComponent(id)}.json`);
  }

  /** Item `id` of `kind`, or `undefined` when none is stored; throws on a malformed file. */
  async get<K extends CalibrationKind>(
    kind: K,
    id: string,
  ): Promise<RecordOf<K> | undefined> {
    const path = this.path(kind, id);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
    const parsed = SCHEMAS[kind].safeParse(parseJson(text));
    if (!parsed.success) {
      throw new Error(`${path}: ${parsed.error.issues[0].message}`);
    }
    return parsed.data as RecordOf<K>;
  }

  /** Every item of `kind` with its id; a malformed file is reported to `skipped` and left out. */
  async list<K extends CalibrationKind>(
    kind: K,
    skipped: (path: string, error: unknown) => void,
  ): Promise<{ id: string; record: RecordOf<K> }[]> {
    let items: Deno.DirEntry[];
    try {
      items = await Array.fromAsync(Deno.readDir(join(this.dir, kind)));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
    const found: { id: string; record: RecordOf<K> }[] = [];
    for (const item of items.sort((a, b) => a.name.localeCompare(b.name))) {
      if (!item.isFile || !item.name.endsWith(".json")) continue;
      const id = decodeURIComponent(item.name.slice(0, -".json".length));
      try {
        const record = await this.get(kind, id);
        if (record !== undefined) found.push({ id, record });
      } catch (error) {
        skipped(join(this.dir, kind, item.name), error);
      }
    }
    return found;
  }

  /** Removes item `id` of `kind`; whether it was stored. */
  async delete(kind: CalibrationKind, id: string): Promise<boolean> {
    try {
      await Deno.remove(this.path(kind, id));
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
  }

  /** Saves item `id` of `kind` atomically; returns its path. */
  async save<K extends CalibrationKind>(
    kind: K,
    id: string,
    record: RecordOf<K>,
  ): Promise<string> {
    const path = this.path(kind, id);
    await Deno.mkdir(join(this.dir, kind), { recursive: true });
    await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
    return path;
  }
}
