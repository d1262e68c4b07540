/**
 * Serial port listing from sysfs: a fake tree with a USB adapter, a CDC-ACM
 * board, a real and an unpopulated UART and a virtual terminal; and the
 * real list of this machine.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ffiBinding } from "../../../drivers/serial/binding.ts";
import { listPorts } from "../../../drivers/serial/ports.ts";
import { withDir } from "../../helpers/temp_dir.ts";

async function file(path: string, text: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, `${text}\n`);
}

async function link(path: string, target: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.symlink(target, path);
}

/** A sysfs and /dev like a PC with a CP2102 adapter and an Arduino. */
async function fakeMachine(root: string) {
  const devices = join(root, "sys/devices");
  const usb1 = join(devices, "pci0000:00/usb1/1-1");
  await file(join(usb1, "idVendor"), "10c4");
  await file(join(usb1, "idProduct"), "ea60");
  await file(join(usb1, "serial"), "0001");
  await file(join(usb1, "manufacturer"), "Silicon Labs");
  await file(join(usb1, "product"), "CP2102 USB to UART Bridge Controller");
  await Deno.mkdir(join(usb1, "1-1:1.0/ttyUSB0"), { recursive: true });
  const usb2 = join(devices, "pci0000:00/usb1/1-2");
  await file(join(usb2, "idVendor"), "2341");
  await file(join(usb2, "idProduct"), "0043");
  await Deno.mkdir(join(usb2, "1-2:1.0"), { recursive: true });
  await Deno.mkdir(join(devices, "pnp0/00:01"), { recursive: true });
  await Deno.mkdir(join(devices, "platform/serial8250"), { recursive: true });
  const tty = join(root, "sys/class/tty");
  await link(join(tty, "ttyUSB0/device"), join(usb1, "1-1:1.0/ttyUSB0"));
  await link(join(tty, "ttyACM0/device"), join(usb2, "1-2:1.0"));
  await link(join(tty, "ttyS0/device"), join(devices, "pnp0/00:01"));
  await file(join(tty, "ttyS0/type"), "4");
  await link(join(tty, "ttyS1/device"), join(devices, "platform/serial8250"));
  await file(join(tty, "ttyS1/type"), "0");
  await Deno.mkdir(join(tty, "tty1"), { recursive: true });
  const dev = join(root, "dev");
  for (const name of ["ttyUSB0", "ttyACM0", "ttyS0", "ttyS1", "tty1"]) {
    await file(join(dev, name), "");
  }
  await link(
    join(dev, "serial/by-id/usb-Silicon_Labs_CP2102_0001-if00-port0"),
    "../../ttyUSB0",
  );
  return {
    classTty: tty,
    byIdDir: join(dev, "serial/by-id"),
    devDir: dev,
  };
}

Deno.test("ports: sysfs gives paths, USB ids, serials and by-id links", async () => {
  await withDir(async (root) => {
    const roots = await fakeMachine(root);
    const ports = await listPorts(roots);
    assert.deepEqual(ports, [
      {
        path: join(roots.devDir, "ttyACM0"),
        byId: undefined,
        pnpId: undefined,
        manufacturer: undefined,
        product: undefined,
        serialNumber: undefined,
        vendorId: "2341",
        productId: "0043",
        locationId: "1-2",
      },
      {
        path: join(roots.devDir, "ttyS0"),
        byId: undefined,
        pnpId: undefined,
        manufacturer: undefined,
        product: undefined,
        serialNumber: undefined,
        vendorId: undefined,
        productId: undefined,
        locationId: undefined,
      },
      {
        path: join(roots.devDir, "ttyUSB0"),
        byId: join(roots.byIdDir, "usb-Silicon_Labs_CP2102_0001-if00-port0"),
        pnpId: "usb-Silicon_Labs_CP2102_0001-if00-port0",
        manufacturer: "Silicon Labs",
        product: "CP2102 USB to UART Bridge Controller",
        serialNumber: "0001",
        vendorId: "10c4",
        productId: "ea60",
        locationId: "1-1",
      },
    ]);
  }, "auki-edge-sysfs-");
});

Deno.test("ports: the binding's list() on this machine", async () => {
  const ports = await ffiBinding.list();
  const expected: string[] = [];
  for await (const entry of Deno.readDir("/sys/class/tty")) {
    const dir = `/sys/class/tty/${entry.name}`;
    const hasDevice = await Deno.stat(`${dir}/device`).then(
      () => true,
      () => false,
    );
    const type = await Deno.readTextFile(`${dir}/type`).then(
      (t) => t.trim(),
      () => "",
    );
    if (hasDevice && !(entry.name.startsWith("ttyS") && type === "0")) {
      expected.push(`/dev/${entry.name}`);
    }
  }
  assert.deepEqual(
    ports.map((p) => p.path),
    expected.sort((a, b) => a.localeCompare(b, "en", { numeric: true })),
  );
  for (const port of ports) {
    assert.ok(!port.path.startsWith("/dev/pts/"), "no pseudo-terminals");
    assert.equal(port.vendorId === undefined, port.productId === undefined);
  }
});
