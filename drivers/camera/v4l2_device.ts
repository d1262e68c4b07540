/**
 * One open V4L2 capture device, driven through synchronous libc calls (run
 * them off the event loop: the camera does, on its worker): capabilities,
 * formats, negotiation (`VIDIOC_S_FMT`, then what the device chose), frame
 * rate, and mmap streaming with buffers queued and dequeued around `poll`.
 *
 * @module
 */
import {
  BUF_TYPE_VIDEO_CAPTURE,
  CAP_DEVICE_CAPS,
  CAP_STREAMING,
  CAP_VIDEO_CAPTURE,
  fourcc,
  fourccName,
  MEMORY_MMAP,
  V4L2_BUFFER,
  V4L2_CAPABILITY,
  V4L2_FMTDESC,
  V4L2_FORMAT,
  V4L2_PIX_FORMAT,
  V4L2_REQUESTBUFFERS,
  V4L2_STREAMPARM,
  VIDIOC,
} from "./v4l2_ioctl.ts";
import {
  ERRNO,
  errnoName,
  lastErrno,
  MAP_FAILED,
  MAP_SHARED,
  O_NONBLOCK,
  O_RDWR,
  POLL_FAILURE,
  POLLIN,
  PROT_READ_WRITE,
  type V4l2Libc,
} from "./v4l2_libc.ts";

/** A failed V4L2 call. */
export class V4l2Error extends Error {
  /** The call's `errno`. */
  readonly errno: number;
  /** Creates the error for `operation` failing with `errno`. */
  constructor(operation: string, errno: number) {
    super(`${operation}: ${errnoName(errno)}`);
    this.name = "V4l2Error";
    this.errno = errno;
  }

  /** Whether the device is absent or went away (retrying may help). */
  get gone(): boolean {
    return ([ERRNO.ENOENT, ERRNO.ENODEV, ERRNO.ENXIO, ERRNO.EIO] as number[])
      .includes(this.errno);
  }
}

/** What `VIDIOC_QUERYCAP` reports. */
export interface V4l2Capability {
  /** Kernel driver, e.g. `uvcvideo`. */
  driver: string;
  /** Device name, e.g. the camera model. */
  card: string;
  /** Where it is attached, e.g. `usb-0000:00:14.0-1`. */
  bus: string;
  /** Whether it captures video with mmap streaming. */
  canStream: boolean;
}

/** The format a device chose. */
export interface V4l2Format {
  /** Fourcc name, e.g. `YUYV`. */
  pixelFormat: string;
  /** Pixels. */
  width: number;
  /** Pixels. */
  height: number;
  /** Bytes per row of the first plane (0 for compressed formats). */
  bytesPerLine: number;
  /** Largest frame, bytes. */
  sizeImage: number;
  /** The V4L2 `colorspace`. */
  colorspace: number;
}

/** A dequeued frame. */
export interface V4l2Frame {
  /** Buffer index, to requeue. */
  index: number;
  /** Bytes of image data. */
  bytesUsed: number;
  /** `V4L2_BUF_FLAG_*`. */
  flags: number;
  /** The buffer timestamp (`struct timeval`), ns. */
  timestampNs: bigint;
  /** The driver's frame counter. */
  sequence: number;
}

function text(bytes: Uint8Array, from: number, length: number): string {
  const field = bytes.subarray(from, from + length);
  const end = field.indexOf(0);
  return new TextDecoder().decode(field.subarray(0, end < 0 ? length : end));
}

/** An open V4L2 device. */
export class V4l2Device {
  readonly #libc: V4l2Libc;
  readonly #fd: number;
  readonly #path: string;
  #buffers: { address: bigint; length: number }[] = [];
  #streaming = false;
  readonly #buffer = new Uint8Array(V4L2_BUFFER.size);
  readonly #bufferView = new DataView(this.#buffer.buffer);

  private constructor(libc: V4l2Libc, fd: number, path: string) {
    this.#libc = libc;
    this.#fd = fd;
    this.#path = path;
  }

  /** Opens `path` read-write and non-blocking; throws {@link V4l2Error}. */
  static open(libc: V4l2Libc, path: string): V4l2Device {
    const fd = libc.open(
      new TextEncoder().encode(`${path}\0`),
      O_RDWR | O_NONBLOCK,
      0,
    );
    if (fd < 0) throw new V4l2Error(`open ${path}`, lastErrno(libc));
    return new V4l2Device(libc, fd, path);
  }

  #ioctl(name: keyof typeof VIDIOC, arg: Uint8Array): void {
    if (this.#libc.ioctl(this.#fd, BigInt(VIDIOC[name]), arg) < 0) {
      throw new V4l2Error(
        `VIDIOC_${name} on ${this.#path}`,
        lastErrno(this.#libc),
      );
    }
  }

  /** `VIDIOC_QUERYCAP`. */
  capability(): V4l2Capability {
    const cap = new Uint8Array(V4L2_CAPABILITY.size);
    this.#ioctl("QUERYCAP", cap);
    const view = new DataView(cap.buffer);
    const all = view.getUint32(V4L2_CAPABILITY.capabilities, true);
    const caps = (all & CAP_DEVICE_CAPS) !== 0
      ? view.getUint32(V4L2_CAPABILITY.device_caps, true)
      : all;
    return {
      driver: text(cap, V4L2_CAPABILITY.driver, 16),
      card: text(cap, V4L2_CAPABILITY.card, 32),
      bus: text(cap, V4L2_CAPABILITY.bus_info, 32),
      canStream: (caps & CAP_VIDEO_CAPTURE) !== 0 &&
        (caps & CAP_STREAMING) !== 0,
    };
  }

  /** The pixel formats the device offers (`VIDIOC_ENUM_FMT`), fourcc names. */
  formats(): string[] {
    const names: string[] = [];
    const desc = new Uint8Array(V4L2_FMTDESC.size);
    const view = new DataView(desc.buffer);
    for (let index = 0; index < 64; index++) {
      desc.fill(0);
      view.setUint32(V4L2_FMTDESC.index, index, true);
      view.setUint32(V4L2_FMTDESC.type, BUF_TYPE_VIDEO_CAPTURE, true);
      if (this.#libc.ioctl(this.#fd, BigInt(VIDIOC.ENUM_FMT), desc) < 0) break;
      names.push(fourccName(view.getUint32(V4L2_FMTDESC.pixelformat, true)));
    }
    return names;
  }

  /** Asks for a format with `VIDIOC_S_FMT` and returns what the device chose. */
  setFormat(pixelFormat: string, width: number, height: number): V4l2Format {
    const format = new Uint8Array(V4L2_FORMAT.size);
    const view = new DataView(format.buffer);
    const pix = V4L2_FORMAT.pix;
    view.setUint32(V4L2_FORMAT.type, BUF_TYPE_VIDEO_CAPTURE, true);
    view.setUint32(pix + V4L2_PIX_FORMAT.width, width, true);
    view.setUint32(pix + V4L2_PIX_FORMAT.height, height, true);
    view.setUint32(
      pix + V4L2_PIX_FORMAT.pixelformat,
      fourcc(pixelFormat),
      true,
    );
    this.#ioctl("S_FMT", format);
    const u32 = (at: number) => view.getUint32(pix + at, true);
    return {
      pixelFormat: fourccName(u32(V4L2_PIX_FORMAT.pixelformat)),
      width: u32(V4L2_PIX_FORMAT.width),
      height: u32(V4L2_PIX_FORMAT.height),
      bytesPerLine: u32(V4L2_PIX_FORMAT.bytesperline),
      sizeImage: u32(V4L2_PIX_FORMAT.sizeimage),
      colorspace: u32(V4L2_PIX_FORMAT.colorspace),
    };
  }

  /**
   * Asks for `fps` frames per second (`VIDIOC_S_PARM`) and returns the rate
   * the device chose, or `undefined` when it cannot set one.
   */
  setFrameRate(fps: number): number | undefined {
    const parm = new Uint8Array(V4L2_STREAMPARM.size);
    const view = new DataView(parm.buffer);
    view.setUint32(V4L2_STREAMPARM.type, BUF_TYPE_VIDEO_CAPTURE, true);
    // timeperframe = 1000 / (1000 fps) keeps fractional rates.
    view.setUint32(V4L2_STREAMPARM.numerator, 1000, true);
    view.setUint32(V4L2_STREAMPARM.denominator, Math.round(fps * 1000), true);
    if (this.#libc.ioctl(this.#fd, BigInt(VIDIOC.S_PARM), parm) < 0) {
      return undefined;
    }
    const numerator = view.getUint32(V4L2_STREAMPARM.numerator, true);
    const denominator = view.getUint32(V4L2_STREAMPARM.denominator, true);
    return numerator > 0 ? denominator / numerator : undefined;
  }

  #bufferArg(index: number): Uint8Array {
    this.#buffer.fill(0);
    this.#bufferView.setUint32(V4L2_BUFFER.index, index, true);
    this.#bufferView.setUint32(V4L2_BUFFER.type, BUF_TYPE_VIDEO_CAPTURE, true);
    this.#bufferView.setUint32(V4L2_BUFFER.memory, MEMORY_MMAP, true);
    return this.#buffer;
  }

  #requestBuffers(count: number): number {
    const req = new Uint8Array(V4L2_REQUESTBUFFERS.size);
    const view = new DataView(req.buffer);
    view.setUint32(V4L2_REQUESTBUFFERS.count, count, true);
    view.setUint32(V4L2_REQUESTBUFFERS.type, BUF_TYPE_VIDEO_CAPTURE, true);
    view.setUint32(V4L2_REQUESTBUFFERS.memory, MEMORY_MMAP, true);
    this.#ioctl("REQBUFS", req);
    return view.getUint32(V4L2_REQUESTBUFFERS.count, true);
  }

  /** Allocates, maps and queues `count` buffers, then `VIDIOC_STREAMON`. */
  startStreaming(count: number): void {
    const granted = this.#requestBuffers(count);
    if (granted < 2) {
      throw new Error(`${this.#path} granted ${granted} buffers, need 2`);
    }
    for (let index = 0; index < granted; index++) {
      const arg = this.#bufferArg(index);
      this.#ioctl("QUERYBUF", arg);
      const length = this.#bufferView.getUint32(V4L2_BUFFER.length, true);
      const offset = this.#bufferView.getUint32(V4L2_BUFFER.offset, true);
      const address = BigInt(
        this.#libc.mmap(
          0n,
          BigInt(length),
          PROT_READ_WRITE,
          MAP_SHARED,
          this.#fd,
          BigInt(offset),
        ),
      );
      if (address === MAP_FAILED) {
        throw new V4l2Error(`mmap buffer ${index}`, lastErrno(this.#libc));
      }
      this.#buffers.push({ address, length });
    }
    for (let index = 0; index < granted; index++) this.requeue(index);
    this.#ioctl(
      "STREAMON",
      new Uint8Array(new Uint32Array([BUF_TYPE_VIDEO_CAPTURE]).buffer),
    );
    this.#streaming = true;
  }

  /**
   * Waits at most `timeoutMs` for a frame: `ready`, `timeout`, or throws
   * {@link V4l2Error} (ENODEV) when the device reports an error or hang-up.
   */
  waitFrame(timeoutMs: number): "ready" | "timeout" {
    const pollfd = new Uint8Array(8);
    const view = new DataView(pollfd.buffer);
    view.setInt32(0, this.#fd, true);
    view.setInt16(4, POLLIN, true);
    const ready = this.#libc.poll(pollfd, 1n, timeoutMs);
    if (ready < 0) {
      const errno = lastErrno(this.#libc);
      if (errno === ERRNO.EINTR) return "timeout";
      throw new V4l2Error(`poll ${this.#path}`, errno);
    }
    if (ready === 0) return "timeout";
    if ((view.getInt16(6, true) & POLL_FAILURE) !== 0) {
      throw new V4l2Error(`poll ${this.#path}`, ERRNO.ENODEV);
    }
    return "ready";
  }

  /** `VIDIOC_DQBUF`: the next filled buffer, or `undefined` when none is (EAGAIN). */
  dequeue(): V4l2Frame | undefined {
    const arg = this.#bufferArg(0);
    if (this.#libc.ioctl(this.#fd, BigInt(VIDIOC.DQBUF), arg) < 0) {
      const errno = lastErrno(this.#libc);
      if (errno === ERRNO.EAGAIN) return undefined;
      throw new V4l2Error(`VIDIOC_DQBUF on ${this.#path}`, errno);
    }
    const view = this.#bufferView;
    return {
      index: view.getUint32(V4L2_BUFFER.index, true),
      bytesUsed: view.getUint32(V4L2_BUFFER.bytesused, true),
      flags: view.getUint32(V4L2_BUFFER.flags, true),
      timestampNs: view.getBigInt64(V4L2_BUFFER.timestamp_sec, true) *
          1_000_000_000n +
        view.getBigInt64(V4L2_BUFFER.timestamp_usec, true) * 1000n,
      sequence: view.getUint32(V4L2_BUFFER.sequence, true),
    };
  }

  /** Copies the first `target.byteLength` bytes of mapped buffer `index` into `target`. */
  copyFrame(index: number, target: Uint8Array): void {
    const buffer = this.#buffers[index];
    if (buffer === undefined || target.byteLength > buffer.length) {
      throw new Error(
        `${this.#path}: frame of ${target.byteLength} bytes in buffer ${index} of ${buffer?.length} bytes`,
      );
    }
    this.#libc.memcpy(target, buffer.address, BigInt(target.byteLength));
  }

  /** `VIDIOC_QBUF`: hands buffer `index` back to the device. */
  requeue(index: number): void {
    this.#ioctl("QBUF", this.#bufferArg(index));
  }

  /** Stops streaming, unmaps the buffers and closes the device; never throws. */
  close(): void {
    if (this.#streaming) {
      this.#libc.ioctl(
        this.#fd,
        BigInt(VIDIOC.STREAMOFF),
        new Uint8Array(new Uint32Array([BUF_TYPE_VIDEO_CAPTURE]).buffer),
      );
      this.#streaming = false;
    }
    for (const { address, length } of this.#buffers) {
      this.#libc.munmap(address, BigInt(length));
    }
    if (this.#buffers.length > 0) {
      const req = new Uint8Array(V4L2_REQUESTBUFFERS.size);
      const view = new DataView(req.buffer);
      view.setUint32(V4L2_REQUESTBUFFERS.type, BUF_TYPE_VIDEO_CAPTURE, true);
      view.setUint32(V4L2_REQUESTBUFFERS.memory, MEMORY_MMAP, true);
      this.#libc.ioctl(this.#fd, BigInt(VIDIOC.REQBUFS), req);
    }
    this.#buffers = [];
    this.#libc.close(this.#fd);
  }
}
