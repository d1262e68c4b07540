import assert from "node:assert/strict";
import { join } from "node:path";
import { listVideoDevices } from "../../../drivers/camera/v4l2_list.ts";
import { v4l2Libc } from "../../../drivers/camera/v4l2_libc.ts";
import { ffiTest } from "../../ffi/_libs.ts";
import { FAKE_LIBC, resetFake, setFake } from "./_fake_v4l2.ts";

ffiTest(
  "v4l2_list: video nodes in numeric order with their capabilities and formats",
  async () => {
    resetFake();
    const dir = await Deno.makeTempDir();
    try {
      for (const name of ["video10", "video2", "video0", "videoX", "vbi0"]) {
        await Deno.writeFile(join(dir, name), new Uint8Array());
      }
      const devices = listVideoDevices({ dir, libc: FAKE_LIBC });
      assert.deepEqual(devices.map((d) => d.path), [
        join(dir, "video0"),
        join(dir, "video2"),
        join(dir, "video10"),
      ]);
      assert.deepEqual(devices[0], {
        path: join(dir, "video0"),
        driver: "uvcvideo",
        card: "Fake UVC Camera",
        bus: "usb-0000:00:14.0-1",
        canStream: true,
        formats: ["MJPG", "YUYV"],
      });
      setFake("present", 0);
      assert.deepEqual(
        listVideoDevices({ dir, libc: FAKE_LIBC })[0].error,
        `open ${join(dir, "video0")}: ENOENT (no such device)`,
      );
    } finally {
      resetFake();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("v4l2_list: no device directory means no devices", () => {
  assert.deepEqual(listVideoDevices({ dir: "/nonexistent-dev" }), []);
});

Deno.test("v4l2_list: the real C library binds every call and /dev is listed", () => {
  assert.doesNotThrow(() => v4l2Libc());
  for (const device of listVideoDevices()) {
    assert.match(device.path, /^\/dev\/video\d+$/);
  }
});
