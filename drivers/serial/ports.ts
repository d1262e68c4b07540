/**
 * The serial ports of this machine, from sysfs: every `/sys/class/tty`
 * entry backed by a device (virtual terminals and ptys have none, and
 * unpopulated 8250 UARTs report `type` 0), with the USB vendor, product,
 * serial number and manufacturer of the USB device above it, and its
 * stable `/dev/serial/by-id` link.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import type { PortInfo } from "@serialport/bindings-interface";

/** A listed serial port: serialport's `PortInfo` plus the by-id link and product name. */
export interface SerialPortInfo extends PortInfo {
  /** The `/dev/serial/by-id/...` link to this port, when udev made one. */
  byId: string | undefined;
  /** The USB product string. */
  product: string | undefined;
}

/** Where {@link listPorts} looks (tests point these at a fake tree). */
export interface SysfsRoots {
  /** `/sys/class/tty`. */
  classTty: string;
  /** `/dev/serial/by-id`. */
  byIdDir: string;
  /** `/dev`, where the port device nodes are. */
  devDir: string;
}

/** The real locations. */
const SYSTEM_ROOTS: SysfsRoots = {
  classTty: "/sys/class/tty",
  byIdDir: "/dev/serial/by-id",
  devDir: "/dev",
};

/** Levels walked up from a tty's device to find its USB device. */
const USB_SEARCH_DEPTH = 6;

/** The serial ports present, sorted by path. */
export async function listPorts(
  roots: SysfsRoots = SYSTEM_ROOTS,
): Promise<SerialPortInfo[]> {
  const byId = await byIdLinks(roots.byIdDir);
  const names = await readDirNames(roots.classTty);
  const ports: SerialPortInfo[] = [];
  for (const name of names) {
    const ttyDir = join(roots.classTty, name);
    const device = await realPath(join(ttyDir, "device"));
    if (device === undefined) continue;
    if (
      name.startsWith("ttyS") && (await readText(join(ttyDir, "type"))) === "0"
    ) {
      continue;
    }
    const path = join(roots.devDir, name);
    const usb = await usbDevice(device);
    const link = byId.get(name);
    ports.push({
      path,
      byId: link,
      pnpId: link === undefined ? undefined : basename(link),
      manufacturer: usb && await readText(join(usb, "manufacturer")),
      product: usb && await readText(join(usb, "product")),
      serialNumber: usb && await readText(join(usb, "serial")),
      vendorId: usb && await readText(join(usb, "idVendor")),
      productId: usb && await readText(join(usb, "idProduct")),
      locationId: usb && basename(usb),
    });
  }
  return ports.sort((a, b) =>
    a.path.localeCompare(b.path, "en", { numeric: true })
  );
}

/** The USB device directory at or above `device`, if any. */
async function usbDevice(device: string): Promise<string | undefined> {
  let dir = device;
  for (let i = 0; i < USB_SEARCH_DEPTH && dir !== dirname(dir); i++) {
    if (await readText(join(dir, "idVendor")) !== undefined) return dir;
    dir = dirname(dir);
  }
  return undefined;
}

/** Maps tty names (`ttyUSB0`) to their by-id link paths. */
async function byIdLinks(dir: string): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  for (const name of await readDirNames(dir)) {
    const link = join(dir, name);
    const target = await realPath(link);
    if (target !== undefined) links.set(basename(target), link);
  }
  return links;
}

async function readDirNames(dir: string): Promise<string[]> {
  try {
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    return names.sort();
  } catch {
    return [];
  }
}

async function realPath(path: string): Promise<string | undefined> {
  try {
    return await Deno.realPath(path);
  } catch {
    return undefined;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch {
    return undefined;
  }
}
