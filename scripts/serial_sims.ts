/**
 * `deno task start:serial`: the agent against simulated serial devices.
 * Creates a socat pty pair per device, runs the six device simulators (LD06,
 * TFmini, RPLIDAR, DWM1001 tag, ESP32 CSI, a bank of six DYNAMIXEL servos)
 * on one end of each (in this process), writes a configuration with the
 * matching `serial.*` drivers on the other ends, and runs `auki-edge run`
 * with it until Ctrl-C.
 *
 * Usage: deno task start:serial [--dir DIR] [--fault-rate R] [-- RUN FLAGS...]
 *
 *   --dir DIR        where the pty links and the configuration go
 *                    (default: a temporary directory, removed at exit)
 *   --fault-rate R   per-packet probability of each fault (bad checksum or
 *                    what the protocol has instead, cut packet, garbage
 *                    before it), e.g. 0.01 (default 0)
 *   RUN FLAGS        passed to `auki-edge run`, e.g. --listen, --storage
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LD06_BAUD } from "../drivers/rangefinder/ld06.ts";
import { ld06Source } from "../drivers/rangefinder/ld06_device_sim.ts";
import { TFMINI_BAUD } from "../drivers/rangefinder/tfmini.ts";
import { tfminiSource } from "../drivers/rangefinder/tfmini_device_sim.ts";
import { RPLIDAR_BAUD } from "../drivers/rangefinder/rplidar.ts";
import { RplidarSim } from "../drivers/rangefinder/rplidar_device_sim.ts";
import { DWM1001_BAUD } from "../drivers/rf/dwm1001.ts";
import { Dwm1001Sim } from "../drivers/rf/dwm1001_device_sim.ts";
import { ESP_CSI_BAUD } from "../drivers/rf/esp_csi.ts";
import { EspCsiSim } from "../drivers/rf/esp_csi_device_sim.ts";
import { DYNAMIXEL_BAUD } from "../drivers/joint_encoders/dynamixel.ts";
import { DynamixelSim } from "../drivers/joint_encoders/dynamixel_device_sim.ts";
import { PtyPair, socatAvailable } from "../drivers/serial/pty_pair.ts";
import { SimulatedPort } from "../drivers/serial/device_sim_port.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: {
    dir: { type: "string" },
    "fault-rate": { type: "string", default: "0" },
  },
  allowPositionals: true,
});
const rate = Number(values["fault-rate"]);
if (!(rate >= 0 && rate <= 1)) {
  console.error(
    `serial_sims: --fault-rate must be in [0, 1], got "${
      values["fault-rate"]
    }"`,
  );
  Deno.exit(2);
}
if (!await socatAvailable()) {
  console.error("serial_sims: socat is not installed (apt-get install socat)");
  Deno.exit(1);
}
const faults = { checksum: rate, partial: rate, garbage: rate };
const dir = values.dir ??
  await Deno.makeTempDir({ prefix: "auki-edge-serial-" });
await Deno.mkdir(dir, { recursive: true });

const devices = [
  {
    name: "ld06",
    driver: "serial.ld06",
    baud: LD06_BAUD,
    source: ld06Source({ faults }),
  },
  {
    name: "tfmini",
    driver: "serial.tfmini",
    baud: TFMINI_BAUD,
    source: tfminiSource({ faults }),
  },
  {
    name: "rplidar",
    driver: "serial.rplidar",
    baud: RPLIDAR_BAUD,
    source: new RplidarSim({ faults }),
  },
  {
    name: "dwm1001",
    driver: "serial.dwm1001",
    baud: DWM1001_BAUD,
    source: new Dwm1001Sim({ faults, rangeNoiseMm: 30, positionNoiseMm: 20 }),
  },
  {
    name: "esp_csi",
    driver: "serial.esp_csi",
    baud: ESP_CSI_BAUD,
    source: new EspCsiSim({ faults, noise: 1 }),
  },
  {
    name: "dynamixel",
    driver: "serial.dynamixel",
    baud: DYNAMIXEL_BAUD,
    source: new DynamixelSim({ faults }),
    // Six servos at 57600 baud take about 20 ms a Sync Read.
    settings: {
      rate_hz: 40,
      servos: [1, 2, 3, 4, 5, 6].map((id) => ({ id, offset_rad: -Math.PI })),
    },
  },
];
const running = [];
for (const device of devices) {
  const host = join(dir, device.name);
  const pair = await PtyPair.start(join(dir, `${device.name}-device`), host);
  const sim = new SimulatedPort({
    path: pair.device,
    baudRate: device.baud,
    source: device.source,
    peer: host,
  });
  sim.start();
  running.push({ pair, sim });
  console.error(
    `serial_sims: ${device.name} simulator on ${pair.device}, the agent opens ${host}`,
  );
}
const config = join(dir, "config.json");
await Deno.writeTextFile(
  config,
  JSON.stringify(
    {
      sensors: devices.map((d) => ({
        driver: d.driver,
        id: d.name,
        port: join(dir, d.name),
        ...("settings" in d ? d.settings : {}),
      })),
    },
    null,
    2,
  ),
);
console.error(`serial_sims: configuration ${config}`);

const agent = new Deno.Command(Deno.execPath(), {
  args: ["run", "--allow-all", MAIN, "run", "--config", config, ...positionals],
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    try {
      agent.kill("SIGTERM");
    } catch {
      // already gone
    }
  });
}
const { code } = await agent.status;
for (const { pair, sim } of running) {
  await sim.stop();
  await pair.unplug();
}
if (values.dir === undefined) await Deno.remove(dir, { recursive: true });
Deno.exit(code);
