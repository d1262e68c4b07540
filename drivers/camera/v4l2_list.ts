/**
 * The V4L2 devices of this machine (`/dev/video*`), with what
 * `VIDIOC_QUERYCAP` and `VIDIOC_ENUM_FMT` say about each: for
 * `auki-edge ports` and for choosing a `v4l2` sensor's `device`.
 *
 * @module
 */
import { join } from "node:path";
import { V4l2Device } from "./v4l2_device.ts";
import { DEFAULT_LIBC, v4l2Libc } from "./v4l2_libc.ts";
import { errorMessage } from "../../core/logging.ts";

/** One video device. */
export interface VideoDevice {
  /** Its path, e.g. `/dev/video0`. */
  path: string;
  /** Kernel driver, e.g. `uvcvideo` (empty when it could not be opened). */
  driver: string;
  /** Device name. */
  card: string;
  /** Bus address. */
  bus: string;
  /** Whether it captures video with mmap streaming (metadata nodes do not). */
  canStream: boolean;
  /** Pixel formats offered, fourcc names. */
  formats: string[];
  /** Why it could not be queried, when it could not. */
  error?: string;
}

/** Options of {@link listVideoDevices}. */
export interface ListOptions {
  /** Where device nodes are (default `/dev`). */
  dir?: string;
  /** The C library to call (default `libc.so.6`). */
  libc?: string;
}

/** Lists `video*` nodes of `/dev` in numeric order, each queried. */
export function listVideoDevices(options: ListOptions = {}): VideoDevice[] {
  const dir = options.dir ?? "/dev";
  const names: string[] = [];
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (/^video\d+$/.test(entry.name)) names.push(entry.name);
    }
  } catch {
    return [];
  }
  names.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  const libc = v4l2Libc(options.libc ?? DEFAULT_LIBC);
  return names.map((name) => {
    const path = join(dir, name);
    let device: V4l2Device | undefined;
    try {
      device = V4l2Device.open(libc, path);
      const capability = device.capability();
      return {
        path,
        ...capability,
        formats: capability.canStream ? device.formats() : [],
      };
    } catch (error) {
      return {
        path,
        driver: "",
        card: "",
        bus: "",
        canStream: false,
        formats: [],
        error: errorMessage(error),
      };
    } finally {
      device?.close();
    }
  });
}
