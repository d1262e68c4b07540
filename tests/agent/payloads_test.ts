/**
 * Payload summaries and JSON of the sensor-data extensions: a revolution's
 * duration, joint error bytes and a UWB tag's error answers appear when
 * present and leave the summary unchanged when absent.
 *
 * @module
 */
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { payloadJson, summarizePayload } from "../../agent/payloads.ts";
import {
  JointEncodersDataSchema,
  PointCloudDataSchema,
} from "../../core/proto/payload_schemas.ts";
import { UwbFrameSchema } from "../../core/proto/gen/auki_edge/rf_pb.ts";

Deno.test("payloads: a scan's revolution time is summarised when known", () => {
  const scan = (scanDurationNs: bigint) =>
    toBinary(
      PointCloudDataSchema,
      create(PointCloudDataSchema, {
        data: new Uint8Array(32),
        scanDurationNs,
      }),
    );
  assert.equal(
    summarizePayload("point_cloud_frame", scan(0n)),
    "point cloud 32 bytes",
  );
  assert.equal(
    summarizePayload("point_cloud_frame", scan(100_400_000n)),
    "point cloud 32 bytes, revolution 100.4 ms",
  );
  assert.deepEqual(payloadJson("point_cloud_frame", scan(100_400_000n)), {
    data: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    scanDurationNs: "100400000",
  });
});

Deno.test("payloads: joint error bytes are summarised when any is set", () => {
  const joints = (jointErrors: number[]) =>
    toBinary(
      JointEncodersDataSchema,
      create(JointEncodersDataSchema, { anglesRad: [0.5, 1], jointErrors }),
    );
  assert.equal(
    summarizePayload("joint_encoders_frame", joints([0, 0])),
    "2 joints [0.5000, 1.0000] rad",
  );
  assert.equal(
    summarizePayload("joint_encoders_frame", joints([0, 0x80])),
    "2 joints [0.5000, 1.0000] rad errors [0x0, 0x80]",
  );
});

Deno.test("payloads: a UWB frame names the error answers before it", () => {
  const frame = (errorsSinceLast: number, lastErrorCode: number) =>
    toBinary(
      UwbFrameSchema,
      create(UwbFrameSchema, {
        ranges: [{ anchorId: "0x1A01", distanceM: 2, quality: 90 }],
        errorsSinceLast,
        lastErrorCode,
      }),
    );
  assert.equal(
    summarizePayload("auki_edge.rf.uwb", frame(0, 0)),
    "1 ranges 0x1A01=2.000m",
  );
  assert.equal(
    summarizePayload("auki_edge.rf.uwb", frame(2, 4)),
    "1 ranges 0x1A01=2.000m, 2 error answers before it (last code 4)",
  );
});
