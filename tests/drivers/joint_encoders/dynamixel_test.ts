/**
 * `serial.dynamixel` against the servo bank simulator through a real socat
 * pty pair: published angles are the simulator's positions through each
 * joint's offset and direction, corrupt answers are counted and never
 * published, a silent or failing servo voids its cycles and is reported by
 * id. What every serial driver does alike is
 * `../serial/serial_driver_test.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { JointEncodersDataSchema } from "../../../core/proto/payload_schemas.ts";
import {
  cycleTimeoutMs,
  DYNAMIXEL_BAUD,
  serialDynamixel,
} from "../../../drivers/joint_encoders/dynamixel.ts";
import {
  DynamixelSim,
  type SentStatus,
} from "../../../drivers/joint_encoders/dynamixel_device_sim.ts";
import { configErrors, registryEntries } from "../fake_sink.ts";
import { ptyTest, runDriver } from "../../helpers/serial.ts";

const SERVOS = [
  { id: 1 },
  { id: 2, offset_rad: -Math.PI },
  { id: 5, direction: -1, offset_rad: 0.25 },
];

/** The angles a published payload holds. */
function angles(payload: Uint8Array): number[] {
  return fromBinary(JointEncodersDataSchema, payload).anglesRad;
}

/** The float32 angles the driver must publish for `statuses`, in SERVOS order. */
function expectedAngles(statuses: SentStatus[]): number[] {
  return SERVOS.map(({ id, offset_rad = 0, direction = 1 }) => {
    const status = statuses.find((s) => s.id === id)!;
    return Math.fround(
      direction * status.ticks * 2 * Math.PI / 4096 + offset_rad,
    );
  });
}

/** Asserts `published` is an in-order subsequence of `answers`. */
function assertSubsequence(published: number[][], answers: number[][]): void {
  let at = 0;
  for (const [i, sample] of published.entries()) {
    while (
      at < answers.length &&
      !answers[at].every((v, j) => v === sample[j])
    ) at++;
    assert.ok(at < answers.length, `sample ${i} ${sample} was never sent`);
    at++;
  }
}

Deno.test("serial.dynamixel: configuration defaults and mistakes", () => {
  const config = serialDynamixel.config.parse({
    port: "/dev/ttyUSB0",
    servos: [{ id: 1 }, { id: 7, direction: -1 }],
  });
  assert.deepEqual(config, {
    port: "/dev/ttyUSB0",
    baud: 57600,
    id: "dynamixel",
    frame_id: "base_link",
    rate_hz: 100,
    servos: [
      { id: 1, offset_rad: 0, direction: 1 },
      { id: 7, offset_rad: 0, direction: -1 },
    ],
  });
  const { sensor } = registryEntries(
    serialDynamixel.create(config).description,
  );
  assert.equal(sensor.kind, "joint_encoders");
  assert.equal(sensor.kind === "joint_encoders" && sensor.type, "absolute");
  assert.equal(sensor.kind === "joint_encoders" && sensor.joint_count, 2);
  assert.match(
    configErrors(serialDynamixel, { port: "/dev/a", servos: [] }),
    /servos: must list at least one servo/,
  );
  assert.match(
    configErrors(serialDynamixel, {
      port: "/dev/a",
      servos: [{ id: 3 }, { id: 3 }],
    }),
    /servos: servo ids must be unique/,
  );
  assert.match(
    configErrors(serialDynamixel, {
      port: "/dev/a",
      servos: [{ id: 1, direction: 2 }],
    }),
    /servos\.0\.direction: must be 1 or -1/,
  );
  assert.match(
    configErrors(serialDynamixel, { port: "/dev/a", servos: [{ id: 253 }] }),
    /servos\.0\.id: must be 0 to 252/,
  );
  assert.match(
    configErrors(serialDynamixel, { port: "/dev/a" }),
    /servos: Invalid input/,
  );
  // Six servos at 57600 baud: 110 bytes, 19.1 ms on the line.
  assert.ok(Math.abs(cycleTimeoutMs(6, 57600, 100) - (2 * 19.097 + 10)) < 0.01);
  assert.equal(cycleTimeoutMs(1, 4_000_000, 10), 100, "a period at least");
});

ptyTest(
  "serial.dynamixel: angles through a pty are the simulated positions with offsets and directions",
  async () => {
    const sim = new DynamixelSim({ ids: [1, 2, 5] });
    const answers: number[][] = [];
    sim.onAnswer = (statuses) => answers.push(expectedAngles(statuses));
    const { sink, stats } = await runDriver(
      serialDynamixel,
      sim,
      { servos: SERVOS, baud: 1_000_000, rate_hz: 100 },
      600,
      1_000_000,
    );
    assert.equal(sink.events[0]?.kind, "online");
    assert.equal(stats.corrupt, 0);
    assert.equal(stats.faults, 0);
    const published = sink.samples.map((s) => angles(s.payload));
    assert.ok(
      published.length >= 40,
      `${published.length} cycles in 600 ms at 100 Hz`,
    );
    assert.ok(published.length >= answers.length - 2, "every answer published");
    for (const sample of published) assert.equal(sample.length, 3);
    assertSubsequence(published, answers);
    // A fixed schedule: a late cycle is followed by an early one.
    const times = sink.samples.map((s) => s.timestampNs);
    for (let i = 1; i < times.length; i++) {
      const gapMs = Number(times[i] - times[i - 1]) / 1e6;
      assert.ok(gapMs > 0 && gapMs < 30, `cycle gap ${gapMs} ms`);
    }
    const meanMs = Number(times[times.length - 1] - times[0]) / 1e6 /
      (times.length - 1);
    assert.ok(Math.abs(meanMs - 10) < 1, `mean period ${meanMs} ms`);
  },
);

ptyTest(
  "serial.dynamixel: corrupt, cut and garbage-led answers are counted and never published",
  async () => {
    const sim = new DynamixelSim({
      ids: [1, 2, 5],
      faults: { checksum: 0.05, partial: 0.05, garbage: 0.05 },
      seed: 4,
    });
    const intact: number[][] = [];
    let voided = 0;
    sim.onAnswer = (statuses) => {
      const damaged = statuses.filter((s) => s.fault !== "none").length;
      if (damaged === 0) intact.push(expectedAngles(statuses));
      else if (damaged < statuses.length) voided++;
    };
    const { sink, stats, lines } = await runDriver(
      serialDynamixel,
      sim,
      { servos: SERVOS, baud: 1_000_000, rate_hz: 100 },
      700,
      1_000_000,
    );
    const { checksum, partial, garbage } = sim.injected;
    assert.ok(checksum + partial >= 5, JSON.stringify(sim.injected));
    assert.ok(garbage >= 2);
    assert.ok(
      stats.corrupt >= checksum + partial - 2 &&
        stats.corrupt <= checksum + partial + 2,
      `${stats.corrupt} corrupt counted, ${checksum + partial} injected`,
    );
    assert.ok(
      Math.abs(stats.faults - voided) <= 2,
      `${stats.faults} faults, ${voided} cycles with some answer damaged`,
    );
    const published = sink.samples.map((s) => angles(s.payload));
    assert.ok(published.length >= intact.length - 3);
    assertSubsequence(published, intact);
    assert.ok(
      lines.some((l) => /^WARN corrupt DYNAMIXEL packet on .*host/.test(l)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) =>
        /^WARN DYNAMIXEL on .*host: servo \d.* did not answer the Sync Read \(\d of 3 did\); cycle not published/
          .test(l)
      ),
      lines.join("\n"),
    );
  },
);

ptyTest(
  "serial.dynamixel: a silent servo and a failing one void their cycles and are named",
  async () => {
    const [silent, failing, alerting] = await Promise.all([
      runDriver(
        serialDynamixel,
        new DynamixelSim({ ids: [1, 2, 5], silent: [2] }),
        { servos: SERVOS },
        2_400,
        DYNAMIXEL_BAUD,
      ),
      runDriver(
        serialDynamixel,
        new DynamixelSim({ ids: [1, 2, 5], errors: { 5: 0x04 } }),
        { servos: SERVOS },
        2_400,
        DYNAMIXEL_BAUD,
      ),
      runDriver(
        serialDynamixel,
        new DynamixelSim({ ids: [1, 2, 5], errors: { 1: 0x80 } }),
        { servos: SERVOS },
        600,
        DYNAMIXEL_BAUD,
      ),
    ]);
    for (const { sink, stats } of [silent, failing]) {
      assert.equal(sink.samples.length, 0);
      assert.ok(!sink.events.some((e) => e.kind === "online"));
      assert.ok(stats.faults >= 20, `${stats.faults} faults`);
    }
    const offline = (run: typeof silent) =>
      run.sink.events.find((e) => e.kind === "offline");
    assert.deepEqual(offline(silent), {
      kind: "offline",
      reason: "producer_error",
      detail:
        `DYNAMIXEL on ${silent.host}: servo 2 did not answer the Sync Read (2 of 3 did); cycle not published (no valid packet for 2 s)`,
    });
    assert.deepEqual(offline(failing), {
      kind: "offline",
      reason: "producer_error",
      detail:
        `DYNAMIXEL on ${failing.host}: servo 5: data range error; cycle not published (no valid packet for 2 s)`,
    });
    // An alert alone keeps the position: published, and logged.
    assert.ok(alerting.sink.samples.length >= 20);
    assert.ok(
      alerting.lines.some((l) =>
        l.startsWith(
          `WARN DYNAMIXEL on ${alerting.host}: servo 1: hardware alert (see Hardware Error Status, address 70)`,
        )
      ),
      alerting.lines.join("\n"),
    );
  },
);
