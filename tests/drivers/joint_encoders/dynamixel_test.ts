/**
 * `serial.dynamixel` against the servo bank simulator through a real socat
 * pty pair: published angles are the simulator's positions through each
 * joint's offset and direction, corrupt answers are counted and never
 * published, a silent or failing servo (every error number of the
 * Protocol 2.0 status packet) voids its cycles and is reported by id, the
 * servo ids are in the entry, and each cycle carries every servo's error
 * byte and, when asked, its Present Velocity and Present Current. What every serial driver does alike is
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
import {
  describeDxlError,
  describeHardwareError,
  HARDWARE_ERROR_BITS,
} from "../../../drivers/joint_encoders/dynamixel_protocol.ts";
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
    present_velocity: false,
    present_current: false,
    current_unit_ma: 2.69,
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
  assert.deepEqual(
    sensor.kind === "joint_encoders" && sensor.servo_ids,
    [1, 7],
    "the servo of each angle, in order",
  );
  assert.deepEqual(
    sensor.kind === "joint_encoders" &&
      [sensor.joint_offsets_rad, sensor.joint_directions],
    [[0, 0], [1, -1]],
    "the configured calibration in force",
  );
  const plain = registryEntries(
    serialDynamixel.create(
      serialDynamixel.config.parse({ port: "/dev/a", servos: [{ id: 1 }] }),
    ).description,
  ).sensor;
  assert.ok(plain.kind === "joint_encoders");
  assert.equal(plain.joint_offsets_rad, undefined, "0 and 1 show nothing");
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
  // With velocity and current: 10 bytes a servo, 146 bytes.
  assert.ok(
    Math.abs(cycleTimeoutMs(6, 57600, 100, 10) - (2 * 25.347 + 10)) < 0.01,
  );
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
    // A damaged answer can cost the parser its intact neighbours in the
    // same read (how the bytes are split depends on scheduling); a cycle left
    // with no answer is the silence watchdog's, not a fault.
    assert.ok(
      Math.abs(stats.faults - voided) <= Math.max(2, Math.ceil(voided / 5)),
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

ptyTest(
  "serial.dynamixel: each cycle carries the servos' error bytes, velocities and currents",
  async () => {
    const sim = new DynamixelSim({ ids: [1, 2, 5], errors: { 2: 0x80 } });
    const answers: SentStatus[][] = [];
    sim.onAnswer = (statuses) => answers.push(statuses);
    const { sink, stats } = await runDriver(
      serialDynamixel,
      sim,
      {
        servos: SERVOS,
        baud: 1_000_000,
        rate_hz: 50,
        present_velocity: true,
        present_current: true,
      },
      500,
      1_000_000,
    );
    assert.equal(stats.corrupt, 0);
    assert.ok(sink.samples.length >= 15, `${sink.samples.length} cycles`);
    const rpmToRadS = 0.229 * 2 * Math.PI / 60;
    const expected = answers.map((statuses) =>
      SERVOS.map(({ id, direction = 1 }) => {
        const s = statuses.find((status) => status.id === id)!;
        return {
          error: s.error,
          velocity: Math.fround(direction * s.velocityRaw * rpmToRadS),
          current: Math.fround(direction * s.currentRaw * 2.69 / 1000),
        };
      })
    );
    const published = sink.samples.map(({ payload }) => {
      const data = fromBinary(JointEncodersDataSchema, payload);
      assert.equal(data.anglesRad.length, 3);
      return SERVOS.map((_, i) => ({
        error: data.jointErrors[i],
        velocity: data.velocitiesRadS[i],
        current: data.currentsA[i],
      }));
    });
    // Published cycles are the answered ones, in order, angles included.
    assertSubsequence(
      sink.samples.map((s) => angles(s.payload)),
      answers.map(expectedAngles),
    );
    for (const [i, cycle] of published.entries()) {
      assert.ok(
        expected.some((e) => JSON.stringify(e) === JSON.stringify(cycle)),
        `cycle ${i}: ${JSON.stringify(cycle)} was never sent`,
      );
      assert.deepEqual(cycle.map((c) => c.error), [0, 0x80, 0]);
    }
    assert.ok(
      published.some((c) => c.some((j) => j.velocity !== 0)) &&
        published.some((c) => c.some((j) => j.current !== 0)),
      "the joints move and draw current",
    );
  },
);

ptyTest(
  "serial.dynamixel: every status error number voids the cycle and is named",
  async () => {
    const numbers = [1, 2, 3, 4, 5, 6, 7];
    const runs = await Promise.all(numbers.map((n) =>
      runDriver(
        serialDynamixel,
        new DynamixelSim({ ids: [1, 2, 5], errors: { 2: n } }),
        { servos: SERVOS, baud: 1_000_000, rate_hz: 50 },
        400,
        1_000_000,
      )
    ));
    runs.forEach(({ sink, stats, lines, host }, i) => {
      const name = describeDxlError(numbers[i]);
      assert.equal(sink.samples.length, 0, name);
      assert.ok(stats.faults >= 5, `${name}: ${stats.faults} faults`);
      assert.ok(
        lines.some((l) =>
          l.startsWith(
            `WARN DYNAMIXEL on ${host}: servo 2: ${name}; cycle not published`,
          )
        ),
        lines.join("\n"),
      );
    });
    assert.deepEqual(numbers.map((n) => describeDxlError(n)), [
      "result fail",
      "instruction error",
      "CRC error",
      "data range error",
      "data length error",
      "data limit error",
      "access error",
    ]);
  },
);

ptyTest(
  "serial.dynamixel: each Hardware Error Status bit is read after the alert and published",
  async () => {
    const bits = Object.keys(HARDWARE_ERROR_BITS).map(Number);
    const sims = bits.map((bit) =>
      new DynamixelSim({ ids: [1, 2, 5], hardwareErrors: { 2: bit } })
    );
    const runs = await Promise.all(sims.map((sim) =>
      runDriver(
        serialDynamixel,
        sim,
        { servos: SERVOS, baud: 1_000_000, rate_hz: 50 },
        1_300,
        1_000_000,
      )
    ));
    runs.forEach(({ sink, lines, host }, i) => {
      const cause = describeHardwareError(bits[i]);
      const frames = sink.samples.map(({ payload }) =>
        fromBinary(JointEncodersDataSchema, payload)
      );
      assert.ok(frames.length >= 20, `${cause}: ${frames.length} cycles`);
      for (const frame of frames) {
        assert.deepEqual(frame.jointErrors, [0, 0x80, 0], cause);
      }
      // The first cycle shows the alert; its cause, read in the next slot,
      // rides in every cycle after.
      assert.deepEqual(frames[0].hardwareErrors, []);
      const known = frames.findIndex((f) => f.hardwareErrors.length > 0);
      // (A read lost under load is tried again 100 ms later.)
      assert.ok(known >= 1 && known <= 12, `${cause}: known from ${known}`);
      for (const f of frames.slice(known)) {
        assert.deepEqual(f.hardwareErrors, [0, bits[i], 0], cause);
      }
      // Read after the alert, then again about once a second.
      assert.ok(
        sims[i].statusReads >= 1 && sims[i].statusReads <= 6,
        `${cause}: ${sims[i].statusReads} status reads`,
      );
      assert.ok(
        lines.some((l) =>
          l.startsWith(
            `WARN DYNAMIXEL on ${host}: servo 2: hardware alert: ${cause}`,
          )
        ),
        lines.join("\n"),
      );
    });
    assert.deepEqual(bits.map(describeHardwareError), [
      "input voltage error",
      "overheating error",
      "motor encoder error",
      "electrical shock error",
      "overload error",
    ]);
  },
);
