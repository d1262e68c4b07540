/**
 * errno explanations and which failures mean "the device is gone".
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  describeErrno,
  Errno,
  SerialPortError,
} from "../../../drivers/serial/errors.ts";

Deno.test("serial errors: messages name the port, the cause and the fix", () => {
  const denied = new SerialPortError("/dev/ttyUSB0", "cannot open", {
    errno: Errno.EACCES,
  });
  assert.equal(
    denied.message,
    "cannot open /dev/ttyUSB0: permission denied (add the user to the dialout group, or fix the device's udev permissions) [EACCES]",
  );
  assert.equal(denied.disconnected, false);
  for (const code of [Errno.ENOENT, Errno.EIO, Errno.ENXIO, Errno.ENODEV]) {
    assert.equal(
      new SerialPortError("/dev/x", "cannot read", { errno: code })
        .disconnected,
      true,
      describeErrno(code),
    );
  }
  assert.equal(
    describeErrno(Errno.EIO),
    "input/output error (the device was unplugged or failed) [EIO]",
  );
  assert.equal(
    describeErrno(Errno.ENXIO),
    "no such device or address (the device is gone) [ENXIO]",
  );
  assert.equal(describeErrno(999), "errno 999");
  const canceled = new SerialPortError("/dev/x", "cannot read", {
    reason: "the port was closed",
    canceled: true,
  });
  assert.equal(canceled.canceled, true);
  assert.equal(canceled.errno, 0);
});
