/**
 * The DYNAMIXEL bank simulator: answers to Sync Read in the order asked,
 * silent and failing servos, noise, faults, and other requests unanswered.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  DxlDecoder,
  encodeDxlPacket,
  syncReadPacket,
} from "../../../drivers/joint_encoders/dynamixel_protocol.ts";
import {
  DynamixelSim,
  swingMotion,
} from "../../../drivers/joint_encoders/dynamixel_device_sim.ts";

/** The (id, error, ticks) answers in `bytes`. */
function answers(bytes: Uint8Array) {
  const decoded = new DxlDecoder().push(bytes);
  return decoded.packets.map((p) => ({
    id: p.id,
    error: p.params[0],
    ticks: p.params.length === 5
      ? new DataView(p.params.buffer, p.params.byteOffset + 1).getInt32(0, true)
      : undefined,
  }));
}

Deno.test("dynamixel sim: a Sync Read is answered per servo, in the order asked", () => {
  const sim = new DynamixelSim({ ids: [1, 2, 3], errors: { 3: 0x02 } });
  sim.receive(syncReadPacket(132, 4, [3, 1, 9, 2]), 1500);
  assert.deepEqual(answers(sim.until(1500)), [
    { id: 3, error: 0x02, ticks: undefined },
    { id: 1, error: 0, ticks: swingMotion(1, 1.5) },
    { id: 2, error: 0, ticks: swingMotion(2, 1.5) },
  ]);
  assert.equal(sim.until(1600).length, 0, "answered once");
});

Deno.test("dynamixel sim: silent servos, other requests, noise and faults", () => {
  const silent = new DynamixelSim({ ids: [1, 2], silent: [2] });
  silent.receive(syncReadPacket(132, 4, [1, 2]), 0);
  assert.deepEqual(answers(silent.until(0)).map((a) => a.id), [1]);
  silent.receive(syncReadPacket(128, 4, [1]), 0);
  silent.receive(
    encodeDxlPacket({ id: 1, instruction: 0x01, params: new Uint8Array() }),
    0,
  );
  assert.equal(silent.until(0).length, 0, "a ping, another address");

  const noisy = new DynamixelSim({ ids: [4], noiseTicks: 5, seed: 3 });
  const sent: number[] = [];
  noisy.onAnswer = (statuses) => sent.push(statuses[0].ticks);
  for (let i = 0; i < 20; i++) noisy.receive(syncReadPacket(132, 4, [4]), 0);
  assert.ok(sent.some((t) => t !== swingMotion(4, 0)), "noise");
  assert.deepEqual(
    answers(noisy.until(0)).map((a) => a.ticks),
    sent,
    "reported as sent",
  );

  const faulty = new DynamixelSim({
    ids: [1, 2, 3, 4, 5, 6],
    faults: { checksum: 0.1, partial: 0.1, garbage: 0.1 },
    seed: 2,
  });
  let intact = 0;
  faulty.onAnswer = (statuses) =>
    intact += statuses.filter((s) => s.fault === "none").length;
  for (let i = 0; i < 100; i++) {
    faulty.receive(syncReadPacket(132, 4, [1, 2, 3, 4, 5, 6]), i * 10);
  }
  const { checksum, partial, garbage } = faulty.injected;
  assert.ok(checksum > 30 && partial > 30 && garbage > 30);
  const decoded = new DxlDecoder().push(faulty.until(1000));
  assert.equal(decoded.packets.length, intact);
  assert.equal(intact, 600 - checksum - partial);
});
