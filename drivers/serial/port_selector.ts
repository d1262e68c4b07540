/**
 * Which serial port a driver uses: a path (`/dev/ttyUSB0`, or a stable
 * `/dev/serial/by-id/...` link), or a stable id resolved against the port
 * list each time the device is (re)opened: USB `vendor:product` with an
 * optional `:serial`, or the name of a by-id link.
 *
 * @module
 */
import type { SerialPortInfo } from "./ports.ts";

/** A port by path, or by stable id. */
export type PortSelector = { path: string } | { id: string };

/** A stable id that matched no port, or several. */
export class PortNotFoundError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PortNotFoundError";
  }
}

/** A parsed stable id. */
export type StableId =
  | { kind: "usb"; vendorId: string; productId: string; serial?: string }
  | { kind: "by-id"; name: string };

const USB_ID = /^([0-9a-f]{4}):([0-9a-f]{4})(?::(.+))?$/i;

/** Parses a `port_id`: `vvvv:pppp[:serial]` (hex USB ids) or a by-id link name. */
export function parseStableId(id: string): StableId {
  const usb = USB_ID.exec(id);
  if (usb !== null) {
    return {
      kind: "usb",
      vendorId: usb[1].toLowerCase(),
      productId: usb[2].toLowerCase(),
      ...(usb[3] === undefined ? {} : { serial: usb[3] }),
    };
  }
  return { kind: "by-id", name: id.replace(/^\/dev\/serial\/by-id\//, "") };
}

/** The path of the one port matching `selector`; throws {@link PortNotFoundError} otherwise. */
export async function resolvePort(
  selector: PortSelector,
  list: () => Promise<SerialPortInfo[]>,
): Promise<string> {
  if ("path" in selector) return selector.path;
  const id = parseStableId(selector.id);
  const ports = await list();
  const matches = ports.filter((port) =>
    id.kind === "usb"
      ? port.vendorId?.toLowerCase() === id.vendorId &&
        port.productId?.toLowerCase() === id.productId &&
        (id.serial === undefined || port.serialNumber === id.serial)
      : port.pnpId === id.name
  );
  if (matches.length === 1) return matches[0].path;
  if (matches.length === 0) {
    throw new PortNotFoundError(
      `no serial port matches port_id ${selector.id} (${
        ports.length === 0
          ? "no serial ports"
          : `ports: ${ports.map(summary).join(", ")}`
      }; see auki-edge ports)`,
    );
  }
  throw new PortNotFoundError(
    `port_id ${selector.id} matches ${matches.length} ports (${
      matches.map(summary).join(", ")
    }); add the serial number: vendor:product:serial`,
  );
}

function summary(port: SerialPortInfo): string {
  return port.vendorId === undefined
    ? port.path
    : `${port.path} ${port.vendorId}:${port.productId}${
      port.serialNumber === undefined ? "" : `:${port.serialNumber}`
    }`;
}
