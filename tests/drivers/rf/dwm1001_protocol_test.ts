/**
 * The DWM1001 TLV codec against a hand-computed `dwm_loc_get` answer, and
 * the samples a location becomes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { SpatialTransformSchema } from "../../../core/proto/gen/auki/pose_pb.ts";
import { UwbFrameSchema } from "../../../core/proto/gen/auki_edge/rf_pb.ts";
import {
  anchorId,
  type DwmLocation,
  encodeError,
  encodeLocation,
  LOC_GET_REQUEST,
  parseAnswer,
} from "../../../drivers/rf/dwm1001_protocol.ts";
import { locationSamples } from "../../../drivers/rf/dwm1001_tag.ts";
import { fromSpacedHex } from "../../helpers/hex.ts";

// Tag at (1.234, -0.5, 1.0) m, quality 87 (0x57), ranging 3.456 m (0x0D80)
// with quality 95 (0x5F) to anchor 0x1A2B at (0, 0, 2.5) m, quality 100.
const ANSWER = fromSpacedHex(
  "40 01 00" +
    " 41 0D D2 04 00 00 0C FE FF FF E8 03 00 00 57" +
    " 49 15 01 2B 1A 80 0D 00 00 5F 00 00 00 00 00 00 00 00 C4 09 00 00 64",
);
const LOCATION: DwmLocation = {
  position: { x: 1234, y: -500, z: 1000, quality: 87 },
  anchors: [{
    address: 0x1a2b,
    distanceMm: 3456,
    quality: 95,
    position: { x: 0, y: 0, z: 2500, quality: 100 },
  }],
};

Deno.test("dwm1001: the request and a hand-computed answer", () => {
  assert.deepEqual(LOC_GET_REQUEST, fromSpacedHex("0C 00"));
  assert.deepEqual(encodeLocation(LOCATION), ANSWER);
  assert.deepEqual(parseAnswer(ANSWER), {
    kind: "location",
    location: LOCATION,
    size: ANSWER.length,
  });
  assert.deepEqual(
    parseAnswer(encodeLocation({ ...LOCATION, anchors: [] })),
    {
      kind: "location",
      location: { ...LOCATION, anchors: [] },
      size: 21,
    },
    "no anchor in range: 49 01 00",
  );
  assert.equal(anchorId(0x1a2b), "0x1A2B");
  assert.equal(anchorId(0x7), "0x0007");
});

Deno.test("dwm1001: errors, an anchor's answer, cut and broken answers", () => {
  assert.deepEqual(encodeError(2), fromSpacedHex("40 01 02"));
  assert.deepEqual(parseAnswer(fromSpacedHex("40 01 02")), {
    kind: "error",
    code: 2,
    size: 3,
  });
  assert.deepEqual(
    parseAnswer(
      fromSpacedHex(
        "40 01 00 41 0D 00 00 00 00 00 00 00 00 00 00 00 00 00 48 02 00 00",
      ),
    ),
    {
      kind: "anchor",
      size: 22,
    },
  );
  for (const cut of [2, 4, 17, 19, ANSWER.length - 1]) {
    assert.deepEqual(parseAnswer(ANSWER.subarray(0, cut)), {
      kind: "incomplete",
    }, `cut at ${cut}`);
  }
  const wrongType = ANSWER.slice();
  wrongType[3] = 0x42;
  assert.equal(parseAnswer(wrongType).kind, "malformed");
  const wrongCount = ANSWER.slice();
  wrongCount[20] = 2;
  assert.deepEqual(parseAnswer(wrongCount), {
    kind: "malformed",
    reason: "2 anchors in a list of 21 bytes",
  });
  assert.equal(parseAnswer(fromSpacedHex("13 40 01 00")).kind, "malformed");
});

Deno.test("dwm1001: a location becomes a UwbFrame and a pose in meters", () => {
  const [uwb, pose] = locationSamples(LOCATION, 42n);
  assert.equal(uwb.timestampNs, 42n);
  assert.equal(uwb.pose, undefined);
  const frame = fromBinary(UwbFrameSchema, uwb.payload);
  assert.equal(frame.ranges.length, 1);
  assert.equal(frame.ranges[0].anchorId, "0x1A2B");
  assert.equal(frame.ranges[0].distanceM, Math.fround(3.456));
  assert.equal(frame.ranges[0].quality, 95);
  assert.deepEqual(
    [frame.position?.x, frame.position?.y, frame.position?.z],
    [1.234, -0.5, 1],
  );
  assert.equal(frame.position?.quality, 87);
  assert.equal(pose.pose, 0);
  const transform = fromBinary(SpatialTransformSchema, pose.payload);
  assert.deepEqual(
    [
      transform.translation?.x,
      transform.translation?.y,
      transform.translation?.z,
    ],
    [1.234, -0.5, 1],
  );
  assert.deepEqual(
    [
      transform.orientation?.x,
      transform.orientation?.y,
      transform.orientation?.z,
      transform.orientation?.w,
    ],
    [0, 0, 0, 1],
  );
  const noFix = locationSamples({
    ...LOCATION,
    position: { ...LOCATION.position, quality: 0 },
  }, 1n);
  assert.equal(noFix.length, 1, "no pose without an estimate");
  assert.equal(
    fromBinary(UwbFrameSchema, noFix[0].payload).position,
    undefined,
  );
});
