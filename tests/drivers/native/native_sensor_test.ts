/**
 * The `native` loader in-process with the real reference and fault drivers:
 * values, timestamps, offline/online with backoff, hangs that never stall
 * the event loop, and every bad input named.
 */
import assert from "node:assert/strict";
import { realtimeNs } from "../../../core/clocks/system_time.ts";
import { createLogger } from "../../../core/logging.ts";
import type { DriverContext, SensorDriver } from "../../../drivers/driver.ts";
import { nativeDriver } from "../../../drivers/native/native.ts";
import { ffiTest, lib } from "../../ffi/_libs.ts";
import { configErrors, RecordingSink } from "../fake_sink.ts";
import {
  checkCamera,
  checkLidar,
  findIndex,
  isJointSample,
  isUwbCycle,
} from "./_reference.ts";
import { delay, until } from "../../helpers/wait.ts";

/** A context on the real UTC clock whose warnings are kept. */
function context(): DriverContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    now: realtimeNs,
    logger: createLogger({ level: "warn", sink: (line) => lines.push(line) }),
    lines,
  };
}

function sensor(settings: Record<string, unknown>): SensorDriver {
  return nativeDriver.create(
    nativeDriver.config.parse({ id: "n", retry_min_ms: 50, ...settings }),
  );
}

/** Prepares and runs `driver` for `ms`, then stops it. */
async function runFor(
  driver: SensorDriver,
  ms: number,
  ctx = context(),
): Promise<RecordingSink> {
  await driver.prepare!(ctx);
  const sink = new RecordingSink();
  await driver.start(sink, ctx);
  await delay(ms);
  await driver.stop();
  return sink;
}

/** Asserts timestamps are fresh UTC capture times, in order. */
function assertFreshTimes(sink: RecordingSink, latestMs: number): void {
  const now = realtimeNs();
  const times = sink.samples.map((s) => s.timestampNs);
  times.forEach((t, i) => {
    assert.ok(now - t < BigInt(latestMs) * 1_000_000n, `sample ${i} is old`);
    assert.ok(t <= now, `sample ${i} is in the future`);
    if (i > 0) assert.ok(t > times[i - 1], `sample ${i} went back`);
  });
}

Deno.test("native: configuration is validated", () => {
  assert.match(configErrors(nativeDriver, {}), /id: .*\nlibrary: /);
  assert.match(
    configErrors(nativeDriver, {
      id: "x",
      library: "ref_joints",
      retry_min_ms: 500,
      retry_max_ms: 100,
    }),
    /retry_max_ms must not be below retry_min_ms/,
  );
  assert.match(
    configErrors(nativeDriver, { id: "x", library: "" }),
    /library: must name/,
  );
  const parsed = nativeDriver.config.parse({ id: "x", library: "ref_joints" });
  assert.deepEqual(
    [parsed.config, parsed.offline_after, parsed.retry_min_ms],
    [{}, 3, 500],
  );
});

ffiTest(
  "native: ref_camera frames are the documented pattern, padded rows included",
  async () => {
    const driver = sensor({
      library: lib("ref_camera"),
      config: { width: 37, height: 5, rate_hz: 40, row_padding: 3 },
    });
    const sink = await runFor(driver, 400);
    const { sensor: body } = driver.description;
    assert.equal(body.kind, "camera");
    if (body.kind !== "camera") return;
    assert.equal(body.row_stride_bytes, 37 * 3 + 3);
    assert.equal(driver.description.payload, "camera_frame");
    assert.equal(sink.events[0].kind, "online");
    assert.ok(sink.samples.length >= 10, `${sink.samples.length} frames`);
    const indexes = sink.samples.map((s) => checkCamera(s.payload, 37, 5, 3));
    indexes.forEach((k, i) => assert.equal(k, indexes[0] + i));
    // CLOCK_MONOTONIC capture times, converted.
    assertFreshTimes(sink, 600);
  },
);

ffiTest(
  "native: ref_lidar2d, ref_uwb and ref_joints deliver their formulas",
  async () => {
    const lidar = await runFor(
      sensor({
        library: lib("ref_lidar2d"),
        config: { points: 90, rate_hz: 20 },
      }),
      300,
    );
    const scans = lidar.samples.map((s) => checkLidar(s.payload, 90));
    assert.ok(scans.length >= 4);
    scans.forEach((k, i) => assert.equal(k, scans[0] + i));
    assertFreshTimes(lidar, 500);

    const uwb = await runFor(
      sensor({ library: lib("ref_uwb"), config: { rate_hz: 20 } }),
      300,
    );
    const first = findIndex(
      (k) => isUwbCycle(uwb.samples[0].payload, 20, k),
      100,
      "uwb",
    );
    uwb.samples.forEach((s, i) =>
      assert.ok(isUwbCycle(s.payload, 20, first + i), `cycle ${first + i}`)
    );
    assertFreshTimes(uwb, 500);

    const joints = await runFor(
      sensor({ library: lib("ref_joints"), config: { joint_count: 4 } }),
      300,
    );
    assert.ok(joints.samples.length >= 20);
    const k0 = findIndex(
      (k) => isJointSample(joints.samples[0].payload, 4, 100, k),
      200,
      "joints",
    );
    joints.samples.forEach((s, i) =>
      assert.ok(isJointSample(s.payload, 4, 100, k0 + i), `sample ${k0 + i}`)
    );
    assertFreshTimes(joints, 500);
  },
);

ffiTest(
  "native: a driver that keeps failing goes offline and comes back on the same sensor",
  async () => {
    const ctx = context();
    const driver = sensor({
      library: lib("fault_error"),
      config: { good_reads: 5, rate_hz: 100 },
      offline_after: 2,
    });
    await driver.prepare!(ctx);
    const sink = new RecordingSink();
    const kindsOf = () =>
      sink.events.map((e) => e.kind).filter((k) => k !== "sample");
    await driver.start(sink, ctx);
    await until(() => kindsOf().length >= 4, "four state changes", 10_000);
    await driver.stop();
    const kinds = kindsOf();
    assert.ok(
      kinds.join(",").startsWith("online,offline,online,offline"),
      kinds.join(","),
    );
    const offline = sink.events.find((e) => e.kind === "offline");
    assert.deepEqual(offline, {
      kind: "offline",
      reason: "producer_error",
      detail:
        "2 failed reads in a row, the last: aed_read failed: simulated fault E1 after 5 reads",
    });
    assert.equal(driver.description.sensor.sensor_id, "n");
    assert.match(
      ctx.lines.join("\n"),
      /libauki_fault_error\.so: 2 failed reads/,
    );
  },
);

ffiTest(
  "native: a device that is gone or never opens is source_ended, retried with backoff",
  async () => {
    const gone = await runFor(
      sensor({
        library: lib("fault_error"),
        config: { good_reads: 2, code: "no_device" },
      }),
      200,
    );
    const offline = gone.events.find((e) => e.kind === "offline");
    assert.deepEqual(offline, {
      kind: "offline",
      reason: "source_ended",
      detail: "device gone: simulated fault E3 after 2 reads",
    });

    const ctx = context();
    const never = await runFor(
      sensor({
        library: lib("fault_error"),
        config: { fail_open: 1 },
        retry_min_ms: 100,
        retry_max_ms: 400,
      }),
      800,
      ctx,
    );
    assert.ok(never.events.every((e) => e.kind === "offline"));
    // Backoff 100, 200, 400, 400 ms: a handful of attempts, not hundreds.
    assert.ok(never.events.length >= 3 && never.events.length <= 6);
    assert.match(
      never.events[0].kind === "offline" ? never.events[0].detail : "",
      /aed_open failed: simulated: no device on the bus/,
    );
    assert.match(ctx.lines[0], /reopening in 100 ms/);
  },
);

ffiTest(
  "native: a hung read takes the sensor offline, timers keep their time, and it comes back",
  async () => {
    const driver = sensor({
      library: lib("fault_hang"),
      config: { good_reads: 5, hang_ms: 1500, rate_hz: 50 },
      read_timeout_ms: 200,
    });
    const ctx = context();
    await driver.prepare!(ctx);
    const sink = new RecordingSink();
    const lags: number[] = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      lags.push(now - last - 10);
      last = now;
    }, 10);
    await driver.start(sink, ctx);
    // Online, hung (offline after 1.2 s), and back once the hang ends (1.5 s).
    await until(
      () => sink.events.filter((e) => e.kind !== "sample").length >= 3,
      "three state changes",
      10_000,
    );
    clearInterval(timer);
    await driver.stop();
    const offline = sink.events.find((e) => e.kind === "offline");
    assert.deepEqual(offline, {
      kind: "offline",
      reason: "producer_error",
      detail: "aed_read hung: no return within 1200 ms (timeout 200 ms)",
    });
    const kinds = sink.events.map((e) => e.kind).filter((k) => k !== "sample");
    assert.deepEqual(kinds.slice(0, 3), ["online", "offline", "online"]);
    lags.sort((a, b) => a - b);
    const p99 = lags[Math.floor(lags.length * 0.99)];
    assert.ok(lags.length > 120, `${lags.length} ticks`);
    assert.ok(
      p99 < 25,
      `timer p99 lag ${p99.toFixed(1)} ms while the driver hangs`,
    );
    assert.match(ctx.lines.join("\n"), /reopening once the call returns/);
  },
);

ffiTest(
  "native: isolated failed reads are counted and logged rate-limited with the driver's text",
  async () => {
    const ctx = context();
    const sink = await runFor(
      sensor({
        library: lib("fault_error"),
        config: { fail_every: 4, rate_hz: 100 },
        offline_after: 2,
      }),
      700,
      ctx,
    );
    // Every 4th read fails, alone: counted, never offline.
    assert.ok(sink.readFailures.length >= 5, `${sink.readFailures.length}`);
    assert.equal(
      sink.readFailures[0],
      "aed_read failed: simulated glitch at read 4",
    );
    assert.ok(sink.events.every((e) => e.kind !== "offline"));
    assert.ok(sink.samples.length >= 3 * sink.readFailures.length - 3);
    const lines = ctx.lines.filter((l) => l.includes("a failed read"));
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(
      lines[0],
      /libauki_fault_error\.so: a failed read \(1 in a row\): aed_read failed: simulated glitch at read 4/,
    );
  },
);

ffiTest(
  "native: a quiet event-driven sensor (rate_hz 0) is not dropped",
  async () => {
    // A sample every 2.5 s, read with the default 1 s timeout: two
    // timeouts in a row before each sample, which offline_after 2 would
    // count as failures of a periodic sensor.
    const sink = await runFor(
      sensor({
        library: lib("fault_quiet"),
        config: { every_ms: 2500 },
        offline_after: 2,
      }),
      2_900,
    );
    assert.deepEqual(
      sink.events.map((e) => e.kind),
      ["online", "sample"],
    );
    assert.deepEqual(sink.readFailures, []);
  },
);

ffiTest(
  "native: stopping waits a bounded time for a read in flight, then aed_close switches the device off",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      for (const [hangMs, closedByStop] of [[1000, true], [3500, false]]) {
        const closeFile = `${dir}/closed-${hangMs}`;
        const ctx = context();
        const driver = sensor({
          library: lib("fault_hang"),
          config: {
            good_reads: 3,
            hang_ms: hangMs,
            rate_hz: 50,
            close_file: closeFile,
          },
          read_timeout_ms: 10_000,
        });
        await driver.prepare!(ctx);
        const sink = new RecordingSink();
        await driver.start(sink, ctx);
        await until(() => sink.samples.length >= 3, "three samples");
        await delay(100);
        const started = performance.now();
        await driver.stop();
        const took = performance.now() - started;
        const closed = () =>
          Deno.readTextFile(closeFile).then(() => true, () => false);
        if (closedByStop) {
          // The read returned within the bound: closed before stop resolved.
          assert.ok(took < 1_500, `stop took ${took.toFixed(0)} ms`);
          assert.equal(await closed(), true);
        } else {
          assert.ok(
            took >= 1_800 && took < 2_600,
            `stop took ${took.toFixed(0)} ms`,
          );
          assert.equal(await closed(), false);
          assert.match(
            ctx.lines.join("\n"),
            /did not return within 2000 ms of stopping; aed_close was not called/,
          );
          // Its handle is still closed once the read returns.
          const deadline = Date.now() + 5_000;
          while (!await closed()) {
            assert.ok(Date.now() < deadline, "aed_close never came");
            await delay(50);
          }
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

ffiTest(
  "native: a joint bank's stored offsets and directions apply to its angles",
  async () => {
    const calibration = {
      offsets_rad: [0.25, -1.5, 3],
      directions: [1, -1, -1] as (1 | -1)[],
    };
    const driver = sensor({
      library: lib("ref_joints"),
      config: { joint_count: 3 },
    });
    await driver.prepare!(context());
    assert.throws(
      () => driver.calibrateJoints!({ ...calibration, offsets_rad: [0, 0] }),
      /the calibration has 2 joints, the bank 3/,
    );
    driver.calibrateJoints!(calibration);
    const sink = await runFor(driver, 300);
    assert.ok(sink.samples.length >= 20);
    const k0 = findIndex(
      (k) => isJointSample(sink.samples[0].payload, 3, 100, k, calibration),
      200,
      "calibrated joints",
    );
    sink.samples.forEach((s, i) =>
      assert.ok(
        isJointSample(s.payload, 3, 100, k0 + i, calibration),
        `sample ${k0 + i}`,
      )
    );

    const camera = sensor({ library: lib("ref_camera") });
    await camera.prepare!(context());
    assert.throws(
      () => camera.calibrateJoints!(calibration),
      /libauki_ref_camera\.so is not a prepared joint-encoder bank/,
    );
  },
);

ffiTest("native: the read buffer grows to what the driver needs", async () => {
  const sink = await runFor(
    sensor({
      library: lib("fault_liar"),
      config: { describe: "small_max", rate_hz: 50 },
    }),
    200,
  );
  assert.ok(sink.samples.length >= 3);
  assert.ok(sink.events.every((e) => e.kind !== "offline"));
});

ffiTest(
  "native: every lie about sizes, codes and timestamps is named",
  async () => {
    const cases: [string, string, RegExp][] = [
      [
        "over",
        "producer_error",
        /aed_read returned 868 bytes for a 768-byte buffer/,
      ],
      ["code", "producer_error", /aed_read returned -77, not a byte count/],
      [
        "needed_le_cap",
        "producer_error",
        /too small but needs 768 bytes of its 768/,
      ],
      [
        "needed_huge",
        "producer_error",
        /4294967296 bytes exceeds the \d+-byte limit/,
      ],
      [
        "short_frame",
        "producer_error",
        /raw rgb8 frame of 700 bytes; 16x16 .* is 768/,
      ],
      ["bad_clock", "producer_error", /unknown clock 7/],
      ["bad_timestamp", "producer_error", /s in the past/],
    ];
    for (const [lie, reason, detail] of cases) {
      const sink = await runFor(
        sensor({ library: lib("fault_liar"), config: { lie, rate_hz: 100 } }),
        150,
      );
      assert.equal(sink.samples.length, 0, lie);
      const offline = sink.events.find((e) => e.kind === "offline");
      assert.ok(offline?.kind === "offline", `${lie}: no offline`);
      assert.equal(offline.reason, reason, lie);
      assert.match(offline.detail, detail, lie);
    }
  },
);

ffiTest(
  "native: libraries and descriptions that cannot be hosted are refused by name",
  async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { library: "/nonexistent/libvendor.so" },
        /native driver \/nonexistent\/libvendor\.so: \/nonexistent\/libvendor\.so does not exist/,
      ],
      [
        { library: new URL("../../../README.md", import.meta.url).pathname },
        /cannot load .*README\.md: .*invalid ELF header/,
      ],
      [
        { library: lib("fault_abi") },
        /implements driver ABI version 99; this agent loads version 1/,
      ],
      [
        { library: lib("fault_nosym") },
        /cannot load .*undefined symbol: aed_(read|last_error|close)/,
      ],
      [
        { library: "ref_nothing" },
        /neither a path .* nor a bundled driver \(ref_camera, /,
      ],
      [
        { library: lib("ref_camera"), config: { width: -4 } },
        /the driver rejects its config: setting "width" must be between 1 and 8192, got -4/,
      ],
      [
        { library: lib("ref_camera"), config: { widht: 4 } },
        /the driver rejects its config: unknown setting "widht"/,
      ],
      [
        { library: lib("fault_liar"), config: { describe: "garbage" } },
        /not JSON/,
      ],
      [
        { library: lib("fault_liar"), config: { describe: "invalid" } },
        /raw images need row_stride_bytes > 0/,
      ],
      [
        { library: lib("fault_liar"), config: { describe: "grow" } },
        /does not fit 65536 bytes/,
      ],
      [
        { library: lib("fault_liar"), config: { describe: "audio" } },
        /kind "audio" is not hosted/,
      ],
      [
        { library: lib("fault_liar"), config: { describe: "mismatch" } },
        /payload "point_cloud_frame" does not fit sensor kind "camera"/,
      ],
      [
        { library: lib("fault_liar"), config: { describe: "raw_4k" } },
        /its samples of 24883200 bytes cannot fit a stream frame \(at most 16776192 bytes\): describe an encoded image \(jpeg\) or a smaller raw format/,
      ],
    ];
    for (const [settings, message] of cases) {
      const driver = sensor(settings);
      await assert.rejects(driver.prepare!(context()), message);
      await assert.rejects(
        driver.start(new RecordingSink(), context()),
        /was not prepared/,
      );
    }
  },
);

ffiTest("native: bundled reference drivers load by name", async () => {
  const driver = sensor({ library: "ref_joints", config: { joint_count: 2 } });
  const sink = await runFor(driver, 100);
  assert.ok(sink.samples.length >= 5);
  assert.equal(driver.description.sensor.kind, "joint_encoders");
});
