/**
 * `serial.dwm1001` against the DWM1001 tag simulator through a real socat
 * pty pair: published ranges, anchor ids and positions equal what the
 * simulator answered, poses follow the position, broken answers are counted
 * and never published, error codes and a missing estimate are reported.
 * What every serial driver does alike is `../serial/serial_driver_test.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { create, fromBinary } from "@bufbuild/protobuf";
import { SpatialTransformSchema } from "../../../core/proto/gen/auki/pose_pb.ts";
import {
  UwbFrameSchema,
  UwbPositionSchema,
} from "../../../core/proto/gen/auki_edge/rf_pb.ts";
import { DWM1001_BAUD, serialDwm1001 } from "../../../drivers/rf/dwm1001.ts";
import {
  anchorId,
  DWM_ERRORS,
  type DwmLocation,
} from "../../../drivers/rf/dwm1001_protocol.ts";
import { Dwm1001Sim } from "../../../drivers/rf/dwm1001_device_sim.ts";
import type { Fault } from "../../../drivers/serial/packet_source.ts";
import { configErrors, registryEntries } from "../fake_sink.ts";
import { ptyTest, runDriver } from "../../helpers/serial.ts";

/** Asserts a published UwbFrame is exactly `location` in meters. */
function assertFrame(payload: Uint8Array, location: DwmLocation): void {
  const frame = fromBinary(UwbFrameSchema, payload);
  assert.deepEqual(
    frame.ranges.map((r) => [r.anchorId, r.distanceM, r.quality]),
    location.anchors.map((a) => [
      anchorId(a.address),
      Math.fround(a.distanceMm / 1000),
      a.quality,
    ]),
  );
  const p = location.position;
  assert.deepEqual(
    [frame.position?.x, frame.position?.y, frame.position?.z],
    [p.x / 1000, p.y / 1000, p.z / 1000],
  );
  assert.equal(frame.position?.quality, p.quality);
  assert.deepEqual(
    frame.ranges.map((r) => r.anchorPosition),
    location.anchors.map((a) =>
      create(UwbPositionSchema, {
        x: a.position.x / 1000,
        y: a.position.y / 1000,
        z: a.position.z / 1000,
        quality: a.position.quality,
      })
    ),
    "the anchors' surveyed positions in meters",
  );
}

Deno.test("serial.dwm1001: configuration defaults, frames and the pose output", () => {
  const config = serialDwm1001.config.parse({ port_id: "1366:0105" });
  assert.deepEqual(config, {
    port_id: "1366:0105",
    baud: 115200,
    id: "dwm1001",
    frame_id: "uwb_area",
    rate_hz: 10,
  });
  const { description } = serialDwm1001.create(config);
  const { sensor, frame } = registryEntries(description);
  assert.equal(sensor.kind, "rf");
  assert.equal(sensor.kind === "rf" && sensor.type, "uwb");
  assert.equal(frame.frame_id, "uwb_area");
  assert.equal(description.payload, "auki_edge.rf.uwb");
  assert.deepEqual(description.poses, [{
    fromFrame: {
      frame_id: "uwb_area",
      handedness: "right",
      axes: { x: "forward", y: "left", z: "up" },
      units: "meters",
    },
    toFrame: {
      frame_id: "dwm1001_link",
      handedness: "right",
      axes: { x: "forward", y: "left", z: "up" },
      units: "meters",
    },
    writerMode: "movable",
    rateHz: 10,
  }]);
  assert.match(
    configErrors(serialDwm1001, { port: "/dev/a", tag_frame_id: "uwb_area" }),
    /tag_frame_id: the tag frame must differ/,
  );
  assert.match(
    configErrors(serialDwm1001, { port: "/dev/a", tag_frame_id: "a>b" }),
    /tag_frame_id: registry id "a>b" contains/,
  );
  assert.match(
    configErrors(serialDwm1001, { port: "/dev/a", rate_hz: 200 }),
    /rate_hz: must be at most 100 Hz/,
  );
});

ptyTest(
  "serial.dwm1001: ranges, anchor ids and positions through a pty are what the tag answered",
  async () => {
    const sim = new Dwm1001Sim({ rangeNoiseMm: 30, positionNoiseMm: 20 });
    const sent: DwmLocation[] = [];
    sim.onAnswer = (location) => sent.push(location);
    const { sink, stats } = await runDriver(
      serialDwm1001,
      sim,
      { rate_hz: 20 },
      600,
      DWM1001_BAUD,
    );
    assert.equal(sink.events[0]?.kind, "online");
    assert.equal(stats.corrupt, 0);
    assert.ok(sink.samples.length >= 10, `${sink.samples.length} answers`);
    assert.equal(sink.samples.length, sent.length, "every answer published");
    sink.samples.forEach(({ payload }, i) => assertFrame(payload, sent[i]));
    assert.deepEqual(
      fromBinary(UwbFrameSchema, sink.samples[0].payload).ranges.map((r) =>
        r.anchorId
      ),
      ["0x1A01", "0x1A02", "0x1A03", "0x1A04"],
    );
    assert.equal(sink.poses.length, sink.samples.length);
    sink.poses.forEach(({ output, payload, timestampNs }, i) => {
      assert.equal(output, 0);
      assert.equal(timestampNs, sink.samples[i].timestampNs);
      const { translation } = fromBinary(SpatialTransformSchema, payload);
      const p = sent[i].position;
      assert.deepEqual(
        [translation?.x, translation?.y, translation?.z],
        [p.x / 1000, p.y / 1000, p.z / 1000],
      );
    });
  },
);

ptyTest(
  "serial.dwm1001: broken, cut and garbage-led answers are counted and never published",
  async () => {
    const sim = new Dwm1001Sim({
      faults: { checksum: 0.1, partial: 0.1, garbage: 0.1 },
      seed: 5,
    });
    const sent: { location: DwmLocation; fault: Fault }[] = [];
    sim.onAnswer = (location, fault) => sent.push({ location, fault });
    const { sink, stats, lines } = await runDriver(
      serialDwm1001,
      sim,
      { rate_hz: 50 },
      1_000,
      DWM1001_BAUD,
    );
    const intact = sent.filter((s) => s.fault === "none");
    const injected = sent.length - intact.length;
    assert.ok(injected >= 5, `${injected} faults injected`);
    assert.ok(sim.injected.garbage >= 3);
    assert.ok(
      Math.abs(stats.corrupt - injected) <= 1,
      `${stats.corrupt} corrupt counted, ${injected} injected`,
    );
    assert.ok(sink.samples.length >= intact.length - 1);
    assert.ok(sink.samples.length <= intact.length);
    sink.samples.forEach(({ payload }, i) =>
      assertFrame(payload, intact[i].location)
    );
    assert.ok(
      lines.some((l) => /^WARN corrupt DWM1001 packet on .*host/.test(l)),
      lines.join("\n"),
    );
  },
);

ptyTest(
  "serial.dwm1001: an error code is named, and no estimate publishes ranges but no pose",
  async () => {
    const [failing, noFix] = await Promise.all([
      runDriver(
        serialDwm1001,
        new Dwm1001Sim({ error: 4 }),
        {},
        2_400,
        DWM1001_BAUD,
      ),
      runDriver(
        serialDwm1001,
        new Dwm1001Sim({ positionQuality: 0 }),
        {},
        500,
        DWM1001_BAUD,
      ),
    ]);
    assert.equal(failing.sink.samples.length, 0);
    assert.deepEqual(
      failing.sink.events.find((e) => e.kind === "offline"),
      {
        kind: "offline",
        reason: "producer_error",
        detail:
          `DWM1001 on ${failing.host}: dwm_loc_get failed with error 4 (busy) (no valid packet for 2 s)`,
      },
    );
    assert.ok(failing.stats.faults >= 15, `${failing.stats.faults} faults`);
    assert.ok(noFix.sink.samples.length >= 3);
    assert.equal(noFix.sink.poses.length, 0);
    for (const { payload } of noFix.sink.samples) {
      const frame = fromBinary(UwbFrameSchema, payload);
      assert.equal(frame.position, undefined);
      assert.equal(frame.ranges.length, 4);
    }
  },
);

ptyTest(
  "serial.dwm1001: every error code of the guide is counted in the next published frame",
  async () => {
    const sim = new Dwm1001Sim({ errorEvery: 3 });
    const codes: number[] = [];
    sim.onError = (code) => codes.push(code);
    const { sink, stats } = await runDriver(
      serialDwm1001,
      sim,
      { rate_hz: 25 },
      1_500,
      DWM1001_BAUD,
    );
    assert.ok(codes.length >= 10, `${codes.length} errors answered`);
    assert.deepEqual(
      [...new Set(codes)].sort(),
      Object.keys(DWM_ERRORS).map(Number),
      "codes 1 to 5",
    );
    // Each error received is a device fault and is counted in the next
    // published frame (one after the last frame may still be pending).
    assert.ok(stats.faults >= codes.length - 3, `${stats.faults} faults`);
    const frames = sink.samples.map(({ payload }) =>
      fromBinary(UwbFrameSchema, payload)
    );
    const counted = frames.reduce((sum, f) => sum + f.errorsSinceLast, 0);
    assert.ok(
      counted <= stats.faults && counted >= stats.faults - 1,
      `${counted} counted in frames, ${stats.faults} received`,
    );
    for (const f of frames) {
      assert.equal(f.errorsSinceLast === 0, f.lastErrorCode === 0);
      assert.equal(f.ranges.length, 4, "an error frame is still a reading");
    }
    assert.deepEqual(
      [...new Set(frames.map((f) => f.lastErrorCode))].sort(),
      [0, 1, 2, 3, 4, 5],
      "every code reached a consumer",
    );
  },
);

ptyTest(
  "serial.dwm1001: polled faster than the tag updates, a repeated answer is not published again",
  async () => {
    const sim = new Dwm1001Sim({ updateRateHz: 5, rangeNoiseMm: 30 });
    const sent: { location: DwmLocation; repeat: boolean }[] = [];
    sim.onAnswer = (location, _fault, repeat) =>
      sent.push({ location, repeat });
    const { sink, stats } = await runDriver(
      serialDwm1001,
      sim,
      { rate_hz: 25 },
      1_400,
      DWM1001_BAUD,
    );
    assert.equal(stats.corrupt, 0);
    // Repeats still count as answers (the last may be in flight at stop).
    assert.ok(
      stats.valid <= sent.length && stats.valid >= sent.length - 3,
      `${stats.valid} answers decoded, ${sent.length} sent`,
    );
    const fresh = sent.filter((s) => !s.repeat).map((s) => s.location);
    assert.ok(sent.length >= 3 * fresh.length, `${sent.length} answers`);
    assert.ok(fresh.length >= 6, `${fresh.length} tag updates`);
    // Each tag update published once, in order: a late answer under load
    // may cost one, never a repeat.
    assert.ok(
      sink.samples.length <= fresh.length &&
        sink.samples.length >= fresh.length - 2,
      `${sink.samples.length} published, ${fresh.length} updates`,
    );
    let at = 0;
    for (const { payload } of sink.samples) {
      const ranges = fromBinary(UwbFrameSchema, payload).ranges;
      const distances = ranges.map((r) => r.distanceM);
      while (
        at < fresh.length &&
        !fresh[at].anchors.every((a, i) =>
          Math.fround(a.distanceMm / 1000) === distances[i]
        )
      ) at++;
      assert.ok(at < fresh.length, "a published frame is a tag update");
      assertFrame(payload, fresh[at]);
      at++;
    }
    assert.equal(sink.poses.length, sink.samples.length);
  },
);
