/**
 * The DYNAMIXEL bank's Hardware Error Status reads against the bank
 * simulator, wired without a pty so one kind of answer can be withheld: a
 * servo in alert whose status reads go unanswered is retried, and after
 * {@link HARDWARE_STATUS_ATTEMPTS} failures its alert is reported without a
 * cause and its cycles keep coming. The pty path is `dynamixel_driver_test.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { JointEncodersDataSchema } from "../../../core/proto/payload_schemas.ts";
import {
  DynamixelBank,
  HARDWARE_STATUS_ATTEMPTS,
} from "../../../drivers/joint_encoders/dynamixel_bank.ts";
import { DynamixelSim } from "../../../drivers/joint_encoders/dynamixel_device_sim.ts";
import {
  DxlDecoder,
  HARDWARE_ERROR_STATUS_ADDRESS,
} from "../../../drivers/joint_encoders/dynamixel_protocol.ts";
import type { Decoded } from "../../../drivers/serial/device.ts";
import { MemoryLogger } from "../../helpers/logger.ts";
import { until } from "../../helpers/wait.ts";

Deno.test("dynamixel bank: unanswered Hardware Error Status reads are retried, then the alert is reported without its cause", async () => {
  const sim = new DynamixelSim({ ids: [1, 2], hardwareErrors: { 2: 0x04 } });
  const bank = new DynamixelBank({
    servos: [1, 2].map((id) => ({ id, offsetRad: 0, direction: 1 as const })),
    rateHz: 100,
    timeoutMs: 10,
  });
  const results: Decoded[] = [];
  let statusRequests = 0;
  const start = performance.now();
  bank.open({
    write(bytes) {
      const [request] = new DxlDecoder().push(bytes).packets;
      const address = request.params[0] | request.params[1] << 8;
      if (address === HARDWARE_ERROR_STATUS_ADDRESS) statusRequests++;
      else sim.receive(bytes, performance.now() - start);
      const answer = sim.until(0);
      queueMicrotask(() => results.push(bank.push(answer)));
      return Promise.resolve();
    },
    setLines: () => Promise.reject(new Error("no modem lines")),
    report: (decoded) => results.push(decoded),
    now: () => 0n,
    logger: new MemoryLogger(),
  });
  try {
    await until(
      () => statusRequests >= HARDWARE_STATUS_ATTEMPTS + 1,
      "status reads retried",
      3_000,
    );
  } finally {
    await bank.close();
  }
  const faults = results.flatMap((r) => r.fault === undefined ? [] : [r.fault]);
  assert.ok(
    faults.every((f) =>
      f === "servo 2: hardware alert (see Hardware Error Status, address 70)"
    ),
    faults.join("\n"),
  );
  // Nothing said while the cause might still come; said once it cannot.
  assert.ok(faults.length >= 1, "the alert is reported");
  const samples = results.flatMap((r) => r.samples);
  assert.ok(samples.length >= HARDWARE_STATUS_ATTEMPTS, `${samples.length}`);
  for (const { payload } of samples) {
    const data = fromBinary(JointEncodersDataSchema, payload);
    assert.deepEqual(data.jointErrors, [0, 0x80]);
    assert.deepEqual(data.hardwareErrors, [], "no cause was read");
  }
});
