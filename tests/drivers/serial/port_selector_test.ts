/**
 * Port selection by path or stable id against a port list.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  parseStableId,
  PortNotFoundError,
  resolvePort,
} from "../../../drivers/serial/port_selector.ts";
import type { SerialPortInfo } from "../../../drivers/serial/ports.ts";

function port(
  path: string,
  usb?: { vendorId: string; productId: string; serialNumber?: string },
  byIdName?: string,
): SerialPortInfo {
  return {
    path,
    byId: byIdName && `/dev/serial/by-id/${byIdName}`,
    pnpId: byIdName,
    manufacturer: undefined,
    product: undefined,
    serialNumber: usb?.serialNumber,
    vendorId: usb?.vendorId,
    productId: usb?.productId,
    locationId: undefined,
  };
}

const PORTS = [
  port("/dev/ttyS0"),
  port(
    "/dev/ttyUSB0",
    { vendorId: "10c4", productId: "ea60", serialNumber: "0001" },
    "usb-Silicon_Labs_CP2102_0001-if00-port0",
  ),
  port("/dev/ttyUSB1", {
    vendorId: "10c4",
    productId: "ea60",
    serialNumber: "0002",
  }),
  port("/dev/ttyACM0", { vendorId: "2341", productId: "0043" }),
];
const list = () => Promise.resolve(PORTS);

Deno.test("port_id: parsed as vendor:product[:serial] or a by-id name", () => {
  assert.deepEqual(parseStableId("10C4:EA60"), {
    kind: "usb",
    vendorId: "10c4",
    productId: "ea60",
  });
  assert.deepEqual(parseStableId("10c4:ea60:AB:12"), {
    kind: "usb",
    vendorId: "10c4",
    productId: "ea60",
    serial: "AB:12",
  });
  assert.deepEqual(parseStableId("/dev/serial/by-id/usb-X-if00"), {
    kind: "by-id",
    name: "usb-X-if00",
  });
  assert.deepEqual(parseStableId("usb-X-if00"), {
    kind: "by-id",
    name: "usb-X-if00",
  });
});

Deno.test("port_id: resolves to the one matching port, or says why not", async () => {
  assert.equal(await resolvePort({ path: "/dev/ttyX" }, list), "/dev/ttyX");
  assert.equal(await resolvePort({ id: "2341:0043" }, list), "/dev/ttyACM0");
  assert.equal(
    await resolvePort({ id: "10c4:ea60:0002" }, list),
    "/dev/ttyUSB1",
  );
  assert.equal(
    await resolvePort({ id: "usb-Silicon_Labs_CP2102_0001-if00-port0" }, list),
    "/dev/ttyUSB0",
  );
  await assert.rejects(
    resolvePort({ id: "10c4:ea60" }, list),
    (error: Error) =>
      error instanceof PortNotFoundError &&
      error.message ===
        "port_id 10c4:ea60 matches 2 ports (/dev/ttyUSB0 10c4:ea60:0001, /dev/ttyUSB1 10c4:ea60:0002); add the serial number: vendor:product:serial",
  );
  await assert.rejects(
    resolvePort({ id: "0403:6001" }, list),
    /^PortNotFoundError: no serial port matches port_id 0403:6001 \(ports: \/dev\/ttyS0, \/dev\/ttyUSB0 10c4:ea60:0001, /,
  );
  await assert.rejects(
    resolvePort({ id: "0403:6001" }, () => Promise.resolve([])),
    /no serial port matches port_id 0403:6001 \(no serial ports; see auki-edge ports\)/,
  );
});
