/**
 * `auki-edge ports`: the serial ports of this machine with their stable
 * ids, for a sensor's `port` / `port_id` setting.
 *
 * @module
 */
import { listPorts, type SerialPortInfo } from "../../drivers/serial/ports.ts";
import {
  listVideoDevices,
  type VideoDevice,
} from "../../drivers/camera/v4l2_list.ts";
import { parseCommand } from "../args.ts";
import { type Output, STDIO } from "../output.ts";

const HELP = `Usage: auki-edge ports [--json]

Lists the serial ports (from sysfs): device path, /dev/serial/by-id link,
USB vendor:product, serial number and manufacturer. A serial sensor's
configuration takes "port": PATH (a by-id link stays valid across replugs)
or "port_id": "VENDOR:PRODUCT" or "VENDOR:PRODUCT:SERIAL".
Then the V4L2 video devices (/dev/video*) with their driver, name, bus and
pixel formats, for a v4l2 camera's "device" setting.

Options:
  --json      print the list as JSON
  -h, --help  show this help
`;

/** Runs the ports command; returns the exit code. */
export async function portsCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values } = parseCommand({
    name: "ports",
    options: { json: { type: "boolean" } },
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const ports = await listPorts();
  const video = listVideoDevices();
  output.out(
    values.json
      ? portsJson(ports, video)
      : `${portsTable(ports)}\n\n${videoTable(video)}`,
  );
  return 0;
}

/**
 * The ports as indented JSON: `{"ports": [...]}`, absent fields as null,
 * with `"video": [...]` when video devices are given.
 */
export function portsJson(
  ports: SerialPortInfo[],
  video?: VideoDevice[],
): string {
  return JSON.stringify(
    {
      ports: ports.map((p) => ({
        path: p.path,
        by_id: p.byId ?? null,
        vendor_id: p.vendorId ?? null,
        product_id: p.productId ?? null,
        serial_number: p.serialNumber ?? null,
        manufacturer: p.manufacturer ?? null,
        product: p.product ?? null,
        location: p.locationId ?? null,
      })),
      ...(video === undefined ? {} : { video }),
    },
    null,
    2,
  );
}

/** The ports as an aligned table, or a line saying there are none. */
export function portsTable(ports: SerialPortInfo[]): string {
  if (ports.length === 0) return "no serial ports found";
  const header = ["PATH", "BY-ID", "USB ID", "SERIAL", "MANUFACTURER"];
  const rows = ports.map((p) => [
    p.path,
    p.byId ?? "-",
    p.vendorId === undefined ? "-" : `${p.vendorId}:${p.productId}`,
    p.serialNumber ?? "-",
    [p.manufacturer, p.product].filter((s) => s !== undefined).join(" ") ||
    "-",
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  return [header, ...rows]
    .map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n");
}

/** The video devices as an aligned table, or a line saying there are none. */
export function videoTable(devices: VideoDevice[]): string {
  if (devices.length === 0) return "no video devices found";
  const header = ["VIDEO", "DRIVER", "NAME", "BUS", "FORMATS"];
  const rows = devices.map((d) => [
    d.path,
    d.driver || "-",
    d.error ?? d.card,
    d.bus || "-",
    d.formats.join(",") || "-",
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  return [header, ...rows]
    .map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n");
}
