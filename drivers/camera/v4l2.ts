/**
 * `v4l2`: a Video4Linux2 camera (UVC webcams, CSI cameras with a V4L2
 * driver) captured with mmap streaming on a worker thread
 * ({@link V4l2Session}).
 *
 * The first preferred pixel format the device offers is negotiated with
 * `VIDIOC_S_FMT`, and what the device chose is published: MJPG as
 * `image_encoding: jpeg` (frames passed through, `row_stride_bytes` 0), raw
 * formats as `raw` with their `pixel_format` and the device's
 * `bytesperline` as `row_stride_bytes`. Frame timestamps are the driver's
 * CLOCK_MONOTONIC buffer times moved onto the UTC clock.
 *
 * The registry entry is fixed for the run: taken from the device when it is
 * there at start, else from the configuration. A device that later
 * negotiates another layout stays offline until the agent restarts.
 * A device that fails, stalls or goes away is reopened by the
 * {@link SessionSupervisor}, with a backoff doubling from `retry_min_ms` to
 * `retry_max_ms`.
 *
 * @module
 */
import { z } from "zod";
import {
  CameraCalibration,
  FRAME_PRESETS,
  RegistryId,
} from "../../core/registries/entries.ts";
import { aborted } from "../deadline.ts";
import { type SessionEnd, SessionSupervisor } from "../session_supervisor.ts";
import type {
  DriverContext,
  DriverFactory,
  OfflineReason,
  SensorDescription,
  SensorDriver,
  SensorSink,
} from "../driver.ts";
import { implausibleTimestamp, monotonicToUtc } from "../timestamps.ts";
import { colorSpace, V4L2_FORMATS } from "./v4l2_formats.ts";
import { DEFAULT_LIBC } from "./v4l2_libc.ts";
import type { CaptureRequest } from "./v4l2_negotiate.ts";
import { type Failed, type Opened, V4l2Session } from "./v4l2_session.ts";
import { rateLimited } from "../../core/logging.ts";

/** How long opening and negotiating may take, ms. */
const OPEN_DEADLINE_MS = 5_000;
/** Bad frames in a row that end a session. */
const MAX_BAD_FRAMES = 10;

/** The settings of a `v4l2` camera. */
export interface V4l2Settings {
  /** Sensor id. */
  id: string;
  /** Frame id (default `<id>_optical`). */
  frameId?: string;
  /** What to ask the device for. */
  request: CaptureRequest;
  /** Mapped buffers. */
  buffers: number;
  /** The C library to call (tests inject a fake device library). */
  libc: string;
  /** Pinhole calibration of the published image, when known. */
  calibration?: CameraCalibration;
  /** The registry `distortion_model`. */
  distortionModel: string;
  /** First retry delay, ms. */
  retryMinMs: number;
  /** Longest retry delay, ms. */
  retryMaxMs: number;
}

/** The negotiated layout a description is built from. */
type Layout = Pick<Opened, "format" | "fps">;

function describeCamera(
  settings: V4l2Settings,
  { format, fps }: Layout,
): SensorDescription {
  const published = V4L2_FORMATS[format.pixelFormat];
  const raw = published.encoding === "raw";
  return {
    sensor: {
      sensor_id: settings.id,
      kind: "camera",
      type: published.type,
      width: format.width,
      height: format.height,
      frame_rate_hz: Math.round(fps),
      image_encoding: published.encoding,
      pixel_format: published.pixelFormat,
      row_stride_bytes: raw
        ? format.bytesPerLine || format.width * published.bytesPerPixel
        : 0,
      color_space: colorSpace(published, format.colorspace),
      intrinsics_model: settings.calibration ? "pinhole" : "none",
      distortion_model: settings.distortionModel,
      ...(settings.calibration ? { calibration: settings.calibration } : {}),
    },
    frame: {
      frame_id: settings.frameId ?? `${settings.id}_optical`,
      ...FRAME_PRESETS.ros_optical,
      units: "meters",
    },
    payload: "camera_frame",
    rateHz: fps,
  };
}

/** The layout-defining fields of a camera body, for comparison. */
function layoutOf(description: SensorDescription): string {
  const s = description.sensor;
  return s.kind === "camera"
    ? `${s.width}x${s.height} ${s.image_encoding} ${s.pixel_format} stride ${s.row_stride_bytes}`
    : "";
}

/** A V4L2 camera. */
class V4l2Camera implements SensorDriver {
  readonly #settings: V4l2Settings;
  #description: SensorDescription;
  #first: { session: V4l2Session; opened: Opened } | undefined;
  #supervisor: SessionSupervisor | undefined;

  /** A camera for `settings`, described from them until {@link prepare}. */
  constructor(settings: V4l2Settings) {
    this.#settings = settings;
    const { width, height, fps, formats } = settings.request;
    this.#description = describeCamera(settings, {
      format: {
        pixelFormat: formats[0],
        width,
        height,
        bytesPerLine: 0,
        sizeImage: 0,
        colorspace: 0,
      },
      fps,
    });
  }

  /** The camera as registered: negotiated at start, else configured. */
  get description(): SensorDescription {
    return this.#description;
  }

  /**
   * Opens and negotiates the device to describe what it delivers; a device
   * that is absent keeps the configured description (it is retried once
   * started), one that cannot serve the request is refused.
   */
  async prepare(context: DriverContext): Promise<void> {
    const { device } = this.#settings.request;
    const result = await V4l2Session.open(
      this.#settings.libc,
      this.#settings.request,
      OPEN_DEADLINE_MS,
    );
    if ("session" in result) {
      this.#description = describeCamera(this.#settings, result.opened);
      this.#first = result;
      return;
    }
    if (result.unsuitable) throw new Error(`v4l2 ${device}: ${result.message}`);
    context.logger.warn(
      `v4l2 ${device}: ${result.message}; registered as configured (${
        layoutOf(this.#description)
      }) until it can be opened`,
    );
  }

  /** Starts capturing in the background; resolves at once. */
  start(sink: SensorSink, context: DriverContext): Promise<void> {
    if (this.#supervisor?.running) {
      return Promise.reject(new Error(`${this.#settings.id} already started`));
    }
    const { device } = this.#settings.request;
    const warn = rateLimited(10_000, (m) => context.logger.warn(m));
    this.#supervisor = new SessionSupervisor({
      retryMinMs: this.#settings.retryMinMs,
      retryMaxMs: this.#settings.retryMaxMs,
      session: (signal) => this.#session(sink, context, signal),
      ended: (end) => sink.offline(end.reason, end.detail),
      warn: (message) => warn(`v4l2 ${device}: ${message}`),
    });
    this.#supervisor.start();
    return Promise.resolve();
  }

  /** Stops capturing and closes the device. */
  async stop(): Promise<void> {
    await this.#supervisor?.stop();
    await this.#first?.session.close(OPEN_DEADLINE_MS);
    this.#first = undefined;
  }

  /** One session: open (or take the one `prepare` opened), stream until it ends, close. */
  async #session(
    sink: SensorSink,
    context: DriverContext,
    signal: AbortSignal,
  ): Promise<SessionEnd> {
    const opened: { session: V4l2Session; opened: Opened } | Failed =
      this.#first ??
        await V4l2Session.open(
          this.#settings.libc,
          this.#settings.request,
          OPEN_DEADLINE_MS,
        );
    this.#first = undefined;
    if (!("session" in opened)) {
      return {
        reason: opened.gone ? "source_ended" : "producer_error",
        detail: opened.message,
        produced: false,
      };
    }
    const now = layoutOf(describeCamera(this.#settings, opened.opened));
    const registered = layoutOf(this.#description);
    const end: SessionEnd = now === registered
      ? await this.#stream(opened.session, sink, context, signal)
      : {
        reason: "producer_error",
        detail:
          `the device now negotiates ${now}, registered as ${registered}; restart the agent to register the new format`,
        produced: false,
      };
    await opened.session.close(OPEN_DEADLINE_MS);
    return end;
  }

  #stream(
    session: V4l2Session,
    sink: SensorSink,
    context: DriverContext,
    signal: AbortSignal,
  ): Promise<SessionEnd> {
    const stallMs = Math.max(2_000, 5_000 / this.#description.rateHz);
    const warn = rateLimited(10_000, (m) => context.logger.warn(m));
    return new Promise((resolve) => {
      let produced = false;
      let bad = 0;
      let last = performance.now();
      let watch: ReturnType<typeof setInterval> | undefined = undefined;
      const finish = (reason: OfflineReason, detail: string) => {
        if (watch === undefined) return;
        clearInterval(watch);
        watch = undefined;
        resolve({ reason, detail, produced });
      };
      const badFrame = (detail: string) => {
        last = performance.now();
        warn(
          `v4l2 ${this.#settings.request.device}: dropped a frame: ${detail}`,
        );
        if (++bad >= MAX_BAD_FRAMES) {
          finish(
            "producer_error",
            `${bad} bad frames in a row, the last: ${detail}`,
          );
        }
      };
      watch = setInterval(() => {
        if (performance.now() - last > stallMs) {
          finish("source_ended", `no frame for ${Math.round(stallMs)} ms`);
        }
      }, stallMs / 4);
      aborted(signal).then(() => finish("source_ended", "stopped"));
      session.stream(this.#settings.buffers, {
        frame: (frame) => {
          if (watch === undefined) return;
          const timestampNs = monotonicToUtc(frame.monotonicNs, context);
          const implausible = implausibleTimestamp(timestampNs, context.now());
          if (implausible !== undefined) return badFrame(implausible);
          last = performance.now();
          bad = 0;
          if (!produced) sink.online();
          produced = true;
          sink.sample(frame.payload, timestampNs);
        },
        badFrame,
        failed: (failure) =>
          finish(
            failure.gone ? "source_ended" : "producer_error",
            failure.message,
          ),
      });
    });
  }
}

const Config = z.strictObject({
  id: RegistryId.default("v4l2_camera"),
  frame_id: RegistryId.optional(),
  device: z.string().min(1, "must name a device").default("/dev/video0"),
  width: z.number().int("must be a whole number of pixels")
    .min(1, "must be at least 1 pixel").max(8192, "must be at most 8192")
    .default(640),
  height: z.number().int("must be a whole number of pixels")
    .min(1, "must be at least 1 pixel").max(8192, "must be at most 8192")
    .default(480),
  fps: z.number().gt(0, "must be greater than 0").max(
    1000,
    "must be at most 1000",
  )
    .default(30),
  pixel_formats: z.array(
    z.string().refine((f) => f in V4L2_FORMATS, {
      error: (issue) =>
        `unsupported pixel format ${JSON.stringify(issue.input)} (${
          Object.keys(V4L2_FORMATS).join(", ")
        })`,
    }),
  ).min(1, "must list at least one format").default(() => ["MJPG", "YUYV"]),
  buffers: z.number().int("must be a whole number").min(2, "must be at least 2")
    .max(32, "must be at most 32").default(4),
  libc: z.string().min(1).default(DEFAULT_LIBC),
  calibration: CameraCalibration.optional(),
  distortion_model: z.string().min(1).default("none"),
  retry_min_ms: z.number().int().min(10).default(500),
  retry_max_ms: z.number().int().min(10).default(30_000),
});

/** The `v4l2` driver factory. */
export const v4l2Camera: DriverFactory<typeof Config> = {
  name: "v4l2",
  summary: "Video4Linux2 camera (mmap streaming; MJPG passed through as jpeg)",
  config: Config,
  defaultRetentionS: 10,
  create(config) {
    return new V4l2Camera({
      id: config.id,
      frameId: config.frame_id,
      request: {
        device: config.device,
        width: config.width,
        height: config.height,
        fps: config.fps,
        formats: config.pixel_formats,
      },
      buffers: config.buffers,
      libc: config.libc,
      calibration: config.calibration,
      distortionModel: config.distortion_model,
      retryMinMs: config.retry_min_ms,
      retryMaxMs: config.retry_max_ms,
    });
  },
};
