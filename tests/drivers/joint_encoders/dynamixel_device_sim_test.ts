/**
 * The DYNAMIXEL bank simulator: answers to Sync Read in the order asked,
 * the control table block from Present Current to Present Position,
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
  type SentStatus,
  swingCurrent,
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

Deno.test("dynamixel sim: Present Current, Velocity and Position from the control table", () => {
  const sim = new DynamixelSim({ ids: [3] });
  const sent: SentStatus[] = [];
  sim.onAnswer = (statuses) => sent.push(...statuses);
  sim.receive(syncReadPacket(126, 10, [3]), 2000);
  sim.receive(syncReadPacket(128, 8, [3]), 2000);
  const [all, fromVelocity] = new DxlDecoder().push(sim.until(2000)).packets;
  const expectedVelocity = Math.round(
    (swingMotion(3, 2.001) - swingMotion(3, 1.999)) / 0.002 * 60 / 4096 /
      0.229,
  );
  assert.equal(sent[0].velocityRaw, expectedVelocity);
  assert.equal(sent[0].currentRaw, swingCurrent(3, 2));
  const view = new DataView(all.params.buffer, all.params.byteOffset + 1);
  assert.equal(all.params.length, 11);
  assert.equal(view.getInt16(0, true), swingCurrent(3, 2));
  assert.equal(view.getInt32(2, true), expectedVelocity);
  assert.equal(view.getInt32(6, true), swingMotion(3, 2));
  assert.deepEqual(fromVelocity.params.subarray(1), all.params.subarray(3));
  sim.receive(syncReadPacket(130, 8, [3]), 2000);
  assert.equal(sim.until(2000).length, 0, "past Present Position");
});

Deno.test("dynamixel sim: silent servos, other requests, noise and faults", () => {
  const silent = new DynamixelSim({ ids: [1, 2], silent: [2] });
  silent.receive(syncReadPacket(132, 4, [1, 2]), 0);
  assert.deepEqual(answers(silent.until(0)).map((a) => a.id), [1]);
  silent.receive(syncReadPacket(64, 1, [1]), 0); // Torque Enable
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

Deno.test("dynamixel sim: a servo in a hardware error raises the alert bit and reads back its Hardware Error Status", () => {
  const sim = new DynamixelSim({ ids: [1, 2], hardwareErrors: { 2: 0x24 } });
  sim.receive(syncReadPacket(132, 4, [1, 2]), 0);
  assert.deepEqual(answers(sim.until(0)).map((a) => [a.id, a.error]), [
    [1, 0],
    [2, 0x80],
  ]);
  sim.receive(syncReadPacket(70, 1, [1, 2]), 0);
  const status = new DxlDecoder().push(sim.until(0)).packets;
  assert.deepEqual(status.map((p) => [p.id, ...p.params]), [
    [1, 0, 0],
    [2, 0x80, 0x24],
  ]);
  assert.equal(sim.statusReads, 2);
});
