/**
 * `auki-edge ports`: help, usage errors, the table and `--json` against
 * this machine's port list.
 *
 * @module
 */
import assert from "node:assert/strict";
import { main } from "../../../cli/main.ts";
import {
  portsJson,
  portsTable,
  videoTable,
} from "../../../cli/commands/ports.ts";
import { listVideoDevices } from "../../../drivers/camera/v4l2_list.ts";
import {
  listPorts,
  type SerialPortInfo,
} from "../../../drivers/serial/ports.ts";
import { MemoryOutput } from "../../helpers/output.ts";

/** Runs the CLI in this process, capturing what it prints. */
async function cli(args: string[]) {
  const output = new MemoryOutput();
  const code = await main(args, output);
  return {
    code,
    stdout: output.stdout.join("\n"),
    stderr: output.stderr.join("\n"),
  };
}

const ADAPTER: SerialPortInfo = {
  path: "/dev/ttyUSB0",
  byId: "/dev/serial/by-id/usb-Silicon_Labs_CP2102_0001-if00-port0",
  pnpId: "usb-Silicon_Labs_CP2102_0001-if00-port0",
  manufacturer: "Silicon Labs",
  product: "CP2102",
  serialNumber: "0001",
  vendorId: "10c4",
  productId: "ea60",
  locationId: "1-1",
};
const UART: SerialPortInfo = {
  path: "/dev/ttyS0",
  byId: undefined,
  pnpId: undefined,
  manufacturer: undefined,
  product: undefined,
  serialNumber: undefined,
  vendorId: undefined,
  productId: undefined,
  locationId: undefined,
};

Deno.test("ports: --help, and usage mistakes exit 2 naming the flag", async () => {
  const help = await cli(["ports", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: auki-edge ports \[--json\]/);
  assert.match(help.stdout, /port_id/);
  const top = await cli(["--help"]);
  assert.match(top.stdout, /\n {2}ports {7}list the serial ports/);
  assert.deepEqual(await cli(["ports", "--jsn"]), {
    code: 2,
    stdout: "",
    stderr: "auki-edge ports: unknown flag --jsn",
  });
  assert.deepEqual(await cli(["ports", "extra"]), {
    code: 2,
    stdout: "",
    stderr: 'auki-edge ports: unexpected argument "extra"',
  });
});

Deno.test("ports: the table and JSON forms", () => {
  assert.equal(
    portsTable([UART, ADAPTER]),
    [
      "PATH          BY-ID                                                      USB ID     SERIAL  MANUFACTURER",
      "/dev/ttyS0    -                                                          -          -       -",
      "/dev/ttyUSB0  /dev/serial/by-id/usb-Silicon_Labs_CP2102_0001-if00-port0  10c4:ea60  0001    Silicon Labs CP2102",
    ].join("\n"),
  );
  assert.equal(portsTable([]), "no serial ports found");
  assert.deepEqual(JSON.parse(portsJson([ADAPTER])), {
    ports: [{
      path: "/dev/ttyUSB0",
      by_id: "/dev/serial/by-id/usb-Silicon_Labs_CP2102_0001-if00-port0",
      vendor_id: "10c4",
      product_id: "ea60",
      serial_number: "0001",
      manufacturer: "Silicon Labs",
      product: "CP2102",
      location: "1-1",
    }],
  });
});

Deno.test("ports: lists this machine's ports", async () => {
  const ports = await listPorts();
  const json = await cli(["ports", "--json"]);
  assert.equal(json.code, 0);
  assert.equal(json.stderr, "");
  const video = listVideoDevices();
  assert.deepEqual(
    JSON.parse(json.stdout),
    JSON.parse(portsJson(ports, video)),
  );
  const table = await cli(["ports"]);
  assert.equal(table.code, 0);
  assert.equal(
    table.stdout,
    `${portsTable(ports)}\n\n${videoTable(video)}`,
  );
});

Deno.test("ports: the video device table", () => {
  assert.equal(videoTable([]), "no video devices found");
  assert.equal(
    videoTable([
      {
        path: "/dev/video0",
        driver: "uvcvideo",
        card: "HD Webcam",
        bus: "usb-0000:00:14.0-1",
        canStream: true,
        formats: ["MJPG", "YUYV"],
      },
      {
        path: "/dev/video1",
        driver: "",
        card: "",
        bus: "",
        canStream: false,
        formats: [],
        error: "open /dev/video1: EACCES (permission denied)",
      },
    ]),
    [
      "VIDEO        DRIVER    NAME                                          BUS                 FORMATS",
      "/dev/video0  uvcvideo  HD Webcam                                     usb-0000:00:14.0-1  MJPG,YUYV",
      "/dev/video1  -         open /dev/video1: EACCES (permission denied)  -                   -",
    ].join("\n"),
  );
});
