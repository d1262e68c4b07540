import assert from "node:assert/strict";
import {
  fourcc,
  fourccName,
  V4L2_BUFFER,
  V4L2_CAPABILITY,
  V4L2_FMTDESC,
  V4L2_FORMAT,
  V4L2_PIX_FORMAT,
  V4L2_REQUESTBUFFERS,
  V4L2_STREAMPARM,
  VIDIOC,
} from "../../../drivers/camera/v4l2_ioctl.ts";
import { ffiTest } from "../../ffi/_libs.ts";
import { kernelLayout } from "./_fake_v4l2.ts";

Deno.test("v4l2_ioctl: request codes match the well-known x86_64/aarch64 values", () => {
  assert.equal(VIDIOC.QUERYCAP, 0x80685600);
  assert.equal(VIDIOC.S_FMT, 0xc0d05605);
  assert.equal(VIDIOC.REQBUFS, 0xc0145608);
  assert.equal(VIDIOC.QUERYBUF, 0xc0585609);
  assert.equal(VIDIOC.DQBUF, 0xc0585611);
  assert.equal(VIDIOC.STREAMON, 0x40045612);
  assert.equal(VIDIOC.S_PARM, 0xc0cc5616);
});

Deno.test("v4l2_ioctl: fourcc codes", () => {
  assert.equal(fourcc("YUYV"), 0x56595559);
  assert.equal(fourcc("MJPG"), 0x47504a4d);
  assert.equal(fourccName(fourcc("Y16")), "Y16");
  assert.equal(fourccName(0x3231564e), "NV12");
});

ffiTest(
  "v4l2_ioctl: every struct offset and request equals <linux/videodev2.h>",
  () => {
    const kernel = kernelLayout();
    const ours: Record<string, Record<string, number>> = {
      v4l2_capability: V4L2_CAPABILITY,
      v4l2_fmtdesc: V4L2_FMTDESC,
      v4l2_format: V4L2_FORMAT,
      v4l2_pix_format: V4L2_PIX_FORMAT,
      v4l2_requestbuffers: V4L2_REQUESTBUFFERS,
      v4l2_buffer: V4L2_BUFFER,
      v4l2_streamparm: V4L2_STREAMPARM,
      requests: Object.fromEntries(
        Object.entries(VIDIOC).map(([name, code]) => [`VIDIOC_${name}`, code]),
      ),
    };
    assert.deepEqual(ours, kernel);
  },
);
