/**
 * The `v4l2` camera against the fake UVC device library loaded in place of
 * the C library: negotiation, the ioctl sequence, raw strides, jpeg
 * passthrough, timestamps, unplug and replug, and a real agent serving it.
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { realtimeNs } from "../../../core/clocks/system_time.ts";
import { createLogger } from "../../../core/logging.ts";
import { CameraFrameSchema } from "../../../core/proto/gen/auki/camera_pb.ts";
import { Subscription } from "../../../agent/protocols/stream_consumer.ts";
import { withClient } from "../../../cli/client.ts";
import { v4l2Camera } from "../../../drivers/camera/v4l2.ts";
import type { DriverContext, SensorDriver } from "../../../drivers/driver.ts";
import { startAgent } from "../../../scripts/harness/agent_process.ts";
import { collect } from "../../e2e/_helpers.ts";
import { delay } from "../../helpers/wait.ts";
import { requestResources } from "../../../agent/protocols/resources.ts";
import { ffiTest } from "../../ffi/_libs.ts";
import { configErrors, RecordingSink } from "../fake_sink.ts";
import { FAKE_LIBC, fakeCalls, resetFake, setFake } from "./_fake_v4l2.ts";
import { until } from "../../helpers/wait.ts";

function context(): DriverContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    now: realtimeNs,
    logger: createLogger({ level: "warn", sink: (line) => lines.push(line) }),
    lines,
  };
}

function camera(settings: Record<string, unknown> = {}): SensorDriver {
  return v4l2Camera.create(v4l2Camera.config.parse({
    device: "/dev/video0",
    libc: FAKE_LIBC,
    retry_min_ms: 100,
    ...settings,
  }));
}

/** A sink that also notes when (UTC) each sample arrived. */
class TimedSink extends RecordingSink {
  readonly arrivals: bigint[] = [];
  override sample(payload: Uint8Array, timestampNs: bigint): void {
    this.arrivals.push(realtimeNs());
    super.sample(payload, timestampNs);
  }
}

async function run(
  driver: SensorDriver,
  ms: number,
  during?: (sink: TimedSink) => Promise<void>,
): Promise<TimedSink> {
  const ctx = context();
  await driver.prepare!(ctx);
  const sink = new TimedSink();
  await driver.start(sink, ctx);
  await (during?.(sink) ?? delay(ms));
  await driver.stop();
  return sink;
}

const frameOf = (payload: Uint8Array) =>
  new Uint8Array(fromBinary(CameraFrameSchema, payload).frame);

/** Checks a YUYV frame of the fake; returns its sequence number mod 256. */
function checkYuyv(frame: Uint8Array, width: number, stride: number): number {
  const n = frame[0];
  for (let y = 0; y < frame.length / stride; y++) {
    for (let i = 0; i < stride; i++) {
      const expected = i < 2 * width ? (i + 3 * y + n) & 255 : 0;
      if (frame[y * stride + i] !== expected) {
        assert.fail(`byte ${i} of row ${y} is ${frame[y * stride + i]}`);
      }
    }
  }
  return n;
}

/** The fake's MJPG frame `n`. */
function fakeJpeg(n: number): Uint8Array {
  const filler = n % 200 + 100;
  return Uint8Array.of(
    0xff,
    0xd8,
    0xff,
    0xe0,
    (n >>> 24) & 255,
    (n >>> 16) & 255,
    (n >>> 8) & 255,
    n & 255,
    ...new Array(filler).fill(n & 255),
    0xff,
    0xd9,
  );
}

Deno.test("v4l2: configuration is validated", () => {
  assert.match(
    configErrors(v4l2Camera, { pixel_formats: ["MJPG", "XXXX"] }),
    /pixel_formats\.1: unsupported pixel format "XXXX" \(MJPG, JPEG, YUYV/,
  );
  assert.match(
    configErrors(v4l2Camera, { buffers: 1 }),
    /buffers: must be at least 2/,
  );
  const parsed = v4l2Camera.config.parse({});
  assert.deepEqual(
    [parsed.device, parsed.pixel_formats, parsed.libc],
    ["/dev/video0", ["MJPG", "YUYV"], "libc.so.6"],
  );
});

ffiTest(
  "v4l2: YUYV is negotiated to the device's size and published raw with its bytesperline",
  async () => {
    resetFake();
    setFake("yuyv_padding", 16);
    const driver = camera({
      pixel_formats: ["YUYV"],
      width: 700,
      height: 500,
      fps: 15,
    });
    const sink = await run(driver, 450);
    assert.deepEqual(driver.description.sensor, {
      sensor_id: "v4l2_camera",
      kind: "camera",
      type: "rgb",
      width: 640,
      height: 480,
      frame_rate_hz: 15,
      image_encoding: "raw",
      pixel_format: "yuyv",
      row_stride_bytes: 640 * 2 + 16,
      color_space: "srgb",
      intrinsics_model: "none",
      distortion_model: "none",
    });
    assert.equal(sink.events[0].kind, "online");
    assert.ok(sink.samples.length >= 4, `${sink.samples.length} frames`);
    const sequence = sink.samples.map((s) => {
      const frame = frameOf(s.payload);
      assert.equal(frame.byteLength, (640 * 2 + 16) * 480);
      return checkYuyv(frame, 640, 640 * 2 + 16);
    });
    sequence.forEach((n, i) => assert.equal(n, (sequence[0] + i) & 255));
  },
);

ffiTest(
  "v4l2: MJPG frames pass through as jpeg with row_stride_bytes 0",
  async () => {
    resetFake();
    const driver = camera({ width: 320, height: 240, fps: 30 });
    const sink = await run(driver, 300);
    const body = driver.description.sensor;
    assert.equal(body.kind, "camera");
    if (body.kind !== "camera") return;
    assert.deepEqual(
      [body.image_encoding, body.pixel_format, body.row_stride_bytes],
      ["jpeg", "rgb8", 0],
    );
    assert.ok(sink.samples.length >= 5);
    sink.samples.forEach((s, i) =>
      assert.deepEqual(frameOf(s.payload), fakeJpeg(i), `frame ${i}`)
    );
  },
);

ffiTest("v4l2: the ioctl sequence of a capture session", async () => {
  resetFake();
  await run(camera({ width: 640, height: 480, fps: 30, buffers: 3 }), 150);
  const calls = fakeCalls();
  const streamOn = calls.indexOf("STREAMON");
  assert.deepEqual(calls.slice(0, streamOn + 1), [
    "open /dev/video0 O_NONBLOCK",
    "QUERYCAP",
    "ENUM_FMT 0",
    "ENUM_FMT 1",
    "ENUM_FMT 2",
    "S_FMT MJPG 640x480",
    "S_PARM 1000/30000",
    "REQBUFS 3",
    "QUERYBUF 0",
    "mmap 0 307200",
    "QUERYBUF 1",
    "mmap 1 307200",
    "QUERYBUF 2",
    "mmap 2 307200",
    "QBUF 0",
    "QBUF 1",
    "QBUF 2",
    "STREAMON",
  ]);
  const streamOff = calls.indexOf("STREAMOFF");
  const streaming = calls.slice(streamOn + 1, streamOff);
  assert.ok(streaming.length >= 4, streaming.join(", "));
  streaming.forEach((call, i) =>
    assert.match(call, i % 2 === 0 ? /^DQBUF ok$/ : /^QBUF \d$/)
  );
  assert.deepEqual(calls.slice(streamOff), [
    "STREAMOFF",
    "munmap 307200",
    "munmap 307200",
    "munmap 307200",
    "REQBUFS 0",
    "close",
  ]);
});

ffiTest(
  "v4l2: frames carry the driver's monotonic capture time on the UTC clock",
  async () => {
    resetFake();
    setFake("capture_delay_ms", 80);
    const sink = await run(camera({ width: 320, height: 240 }), 300);
    assert.ok(sink.samples.length >= 5);
    sink.samples.forEach((s, i) => {
      const ageMs = Number(sink.arrivals[i] - s.timestampNs) / 1e6;
      assert.ok(ageMs >= 79 && ageMs < 120, `frame ${i} is ${ageMs} ms old`);
    });
  },
);

ffiTest(
  "v4l2: a camera absent at start is registered as configured and goes online when it appears",
  async () => {
    resetFake();
    setFake("present", 0);
    const driver = camera({ width: 320, height: 240, fps: 30 });
    const sink = await run(driver, 0, async (sink) => {
      await delay(400);
      assert.equal(sink.samples.length, 0);
      setFake("present", 1);
      await until(() => sink.samples.length >= 3, "three frames", 10_000);
    });
    const body = driver.description.sensor;
    assert.ok(body.kind === "camera" && body.image_encoding === "jpeg");
    assert.ok(sink.samples.length >= 3, `${sink.samples.length} frames`);
    const kinds = sink.events.map((e) => e.kind).filter((k) => k !== "sample");
    assert.equal(kinds[kinds.length - 1], "online");
    assert.deepEqual(sink.events.find((e) => e.kind === "offline"), {
      kind: "offline",
      reason: "source_ended",
      detail: "open /dev/video0: ENOENT (no such device)",
    });
  },
);

ffiTest(
  "v4l2: a camera unplugged mid-stream goes offline and comes back on the same sensor",
  async () => {
    resetFake();
    setFake("fail_after_frames", 4);
    const kindsOf = (sink: RecordingSink) =>
      sink.events.map((e) => e.kind).filter((k) => k !== "sample");
    const sink = await run(
      camera({ width: 320, height: 240 }),
      0,
      async (sink) => {
        await until(
          () => kindsOf(sink).length >= 3,
          "three state changes",
          10_000,
        );
      },
    );
    const kinds = kindsOf(sink);
    assert.deepEqual(kinds.slice(0, 3), ["online", "offline", "online"]);
    assert.deepEqual(sink.events.find((e) => e.kind === "offline"), {
      kind: "offline",
      reason: "source_ended",
      detail: "VIDIOC_DQBUF on /dev/video0: ENODEV (device gone)",
    });
  },
);

ffiTest(
  "v4l2: a device back with another layout stays offline until a restart",
  async () => {
    resetFake();
    const driver = camera({ pixel_formats: ["YUYV"], width: 320, height: 240 });
    const sink = await run(driver, 0, async (sink) => {
      await until(() => sink.samples.length > 0, "a frame", 10_000);
      // Replugged as a device with padded rows: the next S_FMT says so.
      setFake("yuyv_padding", 32);
      setFake("fail_after_frames", 0);
      await until(
        () => sink.events.filter((e) => e.kind === "offline").length >= 2,
        "a second offline",
        10_000,
      );
    });
    const offline = sink.events.filter((e) => e.kind === "offline");
    assert.ok(offline.length >= 2);
    assert.deepEqual(offline[1], {
      kind: "offline",
      reason: "producer_error",
      detail:
        "the device now negotiates 320x240 raw yuyv stride 672, registered as 320x240 raw yuyv stride 640; restart the agent to register the new format",
    });
  },
);

ffiTest(
  "v4l2: a device offering none of the preferred formats is refused",
  async () => {
    resetFake();
    await assert.rejects(
      camera({ pixel_formats: ["NV12", "GREY"] }).prepare!(context()),
      /v4l2 \/dev\/video0: \/dev\/video0 \(Fake UVC Camera\) offers MJPG, YUYV, none of NV12, GREY/,
    );
  },
);

ffiTest(
  "v4l2: an agent serves the camera as a camera_frame stream",
  async () => {
    const agent = await startAgent({
      config: {
        sensors: [{
          driver: "v4l2",
          id: "webcam",
          device: "/dev/video7",
          libc: FAKE_LIBC,
          width: 320,
          height: 240,
        }],
      },
    });
    try {
      await withClient(async (node) => {
        let row;
        for (let tries = 0; row === undefined && tries < 100; tries++) {
          const rows = await requestResources(node, agent.address);
          row = rows.find((r) => r.resource_id === "webcam");
          if (row === undefined) await delay(100);
        }
        assert.equal(row?.sensor?.kind, "camera");
        const sub = await Subscription.open(node, agent.address, {
          resourceId: "webcam",
        }, { timeoutMs: 10_000 });
        assert.equal(sub.manifest.payload, "camera_frame");
        const entries = await collect(sub, 5);
        sub.close();
        const first = frameOf(entries[0].payload);
        const n = (first[4] << 24) | (first[5] << 16) | (first[6] << 8) |
          first[7];
        entries.forEach((e, i) =>
          assert.deepEqual(frameOf(e.payload), fakeJpeg(n + i))
        );
      });
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  },
);
