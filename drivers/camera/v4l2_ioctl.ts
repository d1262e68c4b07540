/**
 * The V4L2 structs and ioctl requests the `v4l2` camera uses, as byte
 * offsets for linux x86_64 and aarch64 (both LP64: `long` and `struct
 * timeval` members are 8 bytes, aligned to 8), from `<linux/videodev2.h>`.
 * The tests check every offset and request code against the kernel header
 * compiled into the fake device library.
 *
 * @module
 */

const IOC_WRITE = 1;
const IOC_READ = 2;

/** `_IOC(dir, type, nr, size)`: dir << 30 | size << 16 | type << 8 | nr. */
function ioc(
  dir: number,
  type: string,
  nr: number,
  size: number,
): number {
  return ((dir << 30) >>> 0) + (size << 16) + (type.charCodeAt(0) << 8) + nr;
}

/** `_IOR(type, nr, size)`: the kernel writes the argument. */
function ior(type: string, nr: number, size: number): number {
  return ioc(IOC_READ, type, nr, size);
}

/** `_IOW(type, nr, size)`: the kernel reads the argument. */
function iow(type: string, nr: number, size: number): number {
  return ioc(IOC_WRITE, type, nr, size);
}

/** `_IOWR(type, nr, size)`: both. */
function iowr(type: string, nr: number, size: number): number {
  return ioc(IOC_READ | IOC_WRITE, type, nr, size);
}

/** `struct v4l2_capability`. */
export const V4L2_CAPABILITY = {
  size: 104,
  driver: 0,
  card: 16,
  bus_info: 48,
  version: 80,
  capabilities: 84,
  device_caps: 88,
} as const;

/** `struct v4l2_fmtdesc`. */
export const V4L2_FMTDESC = {
  size: 64,
  index: 0,
  type: 4,
  flags: 8,
  description: 12,
  pixelformat: 44,
} as const;

/** `struct v4l2_format` (its `fmt` union is 8-aligned: it holds pointers). */
export const V4L2_FORMAT = { size: 208, type: 0, pix: 8 } as const;

/** `struct v4l2_pix_format`, at `V4L2_FORMAT.pix`. */
export const V4L2_PIX_FORMAT = {
  size: 48,
  width: 0,
  height: 4,
  pixelformat: 8,
  field: 12,
  bytesperline: 16,
  sizeimage: 20,
  colorspace: 24,
} as const;

/** `struct v4l2_requestbuffers`. */
export const V4L2_REQUESTBUFFERS = {
  size: 20,
  count: 0,
  type: 4,
  memory: 8,
} as const;

/** `struct v4l2_buffer`, with its `struct timeval timestamp` and `m.offset`. */
export const V4L2_BUFFER = {
  size: 88,
  index: 0,
  type: 4,
  bytesused: 8,
  flags: 12,
  field: 16,
  timestamp_sec: 24,
  timestamp_usec: 32,
  sequence: 56,
  memory: 60,
  offset: 64,
  length: 72,
} as const;

/** `struct v4l2_streamparm` with `parm.capture`. */
export const V4L2_STREAMPARM = {
  size: 204,
  type: 0,
  capability: 4,
  numerator: 12,
  denominator: 16,
} as const;

/** The ioctl requests, computed as `<linux/videodev2.h>` defines them. */
export const VIDIOC = {
  QUERYCAP: ior("V", 0, V4L2_CAPABILITY.size),
  ENUM_FMT: iowr("V", 2, V4L2_FMTDESC.size),
  G_FMT: iowr("V", 4, V4L2_FORMAT.size),
  S_FMT: iowr("V", 5, V4L2_FORMAT.size),
  REQBUFS: iowr("V", 8, V4L2_REQUESTBUFFERS.size),
  QUERYBUF: iowr("V", 9, V4L2_BUFFER.size),
  QBUF: iowr("V", 15, V4L2_BUFFER.size),
  DQBUF: iowr("V", 17, V4L2_BUFFER.size),
  STREAMON: iow("V", 18, 4),
  STREAMOFF: iow("V", 19, 4),
  G_PARM: iowr("V", 21, V4L2_STREAMPARM.size),
  S_PARM: iowr("V", 22, V4L2_STREAMPARM.size),
} as const;

/** `V4L2_BUF_TYPE_VIDEO_CAPTURE`. */
export const BUF_TYPE_VIDEO_CAPTURE = 1;
/** `V4L2_MEMORY_MMAP`. */
export const MEMORY_MMAP = 1;
/** `V4L2_CAP_VIDEO_CAPTURE`. */
export const CAP_VIDEO_CAPTURE = 0x1;
/** `V4L2_CAP_STREAMING`. */
export const CAP_STREAMING = 0x04000000;
/** `V4L2_CAP_DEVICE_CAPS`: `device_caps` is valid. */
export const CAP_DEVICE_CAPS = 0x80000000;
/** `V4L2_BUF_FLAG_ERROR`: the frame is damaged. */
export const BUF_FLAG_ERROR = 0x40;
/** `V4L2_BUF_FLAG_TIMESTAMP_MASK`. */
export const BUF_FLAG_TIMESTAMP_MASK = 0xe000;
/** `V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC`. */
export const BUF_FLAG_TIMESTAMP_MONOTONIC = 0x2000;

/** The fourcc code of a four-character pixel format name, e.g. `YUYV`. */
export function fourcc(name: string): number {
  const padded = name.padEnd(4, " ");
  return (padded.charCodeAt(0) | (padded.charCodeAt(1) << 8) |
    (padded.charCodeAt(2) << 16) | (padded.charCodeAt(3) << 24)) >>> 0;
}

/** The four-character name of a fourcc code (trailing spaces trimmed). */
export function fourccName(code: number): string {
  return String.fromCharCode(
    code & 0xff,
    (code >>> 8) & 0xff,
    (code >>> 16) & 0xff,
    (code >>> 24) & 0xff,
  ).trimEnd();
}
