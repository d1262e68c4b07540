/**
 * `deno task bench:serial`: the serial drivers' figures.
 *
 *   (a) decode throughput per driver, packets/s: the protocol decoder
 *       alone, and the driver's whole decode (scans or points packed,
 *       payloads encoded), fed simulator bytes in 4 KiB chunks (the
 *       polled DWM1001 and DYNAMIXEL drivers one answer at a time)
 *   (b) the agent's CPU share (of one core) while it records an LD06
 *       streaming 4500 points/s through a socat pty pair, from
 *       /proc/<pid>/stat over a measured window
 *   (c) the same while it records that LD06 and polls a bank of six
 *       DYNAMIXEL servos at 500 Hz (1 Mbaud), with the rates achieved
 *
 * Usage: deno task bench:serial [--seconds N]
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { withClient } from "../cli/client.ts";
import { LD06_BAUD, ld06Decoder } from "../drivers/rangefinder/ld06.ts";
import {
  LD06_PACKET_SIZE,
  Ld06Decoder,
} from "../drivers/rangefinder/ld06_protocol.ts";
import { ld06Source } from "../drivers/rangefinder/ld06_device_sim.ts";
import { tfminiDecoder } from "../drivers/rangefinder/tfmini.ts";
import {
  TFMINI_FRAME_SIZE,
  TfminiDecoder,
} from "../drivers/rangefinder/tfmini_protocol.ts";
import { tfminiSource } from "../drivers/rangefinder/tfmini_device_sim.ts";
import {
  encodeDescriptor,
  encodeHealth,
  encodeInfo,
  HEALTH_DESCRIPTOR,
  INFO_DESCRIPTOR,
  NodeDecoder,
  request,
  RplidarCommand,
  SCAN_DESCRIPTOR,
} from "../drivers/rangefinder/rplidar_protocol.ts";
import { RplidarSession } from "../drivers/rangefinder/rplidar_session.ts";
import {
  RPLIDAR_SIM_DEFAULTS,
  RplidarSim,
} from "../drivers/rangefinder/rplidar_device_sim.ts";
import { encodeLocation, parseAnswer } from "../drivers/rf/dwm1001_protocol.ts";
import { locationSamples } from "../drivers/rf/dwm1001_tag.ts";
import {
  DWM1001_SIM_DEFAULTS,
  simulatedLocation,
} from "../drivers/rf/dwm1001_device_sim.ts";
import { espCsiDecoder } from "../drivers/rf/esp_csi.ts";
import { LineSplitter, parseCsiLine } from "../drivers/rf/esp_csi_protocol.ts";
import { EspCsiSim } from "../drivers/rf/esp_csi_device_sim.ts";
import { DynamixelBank } from "../drivers/joint_encoders/dynamixel_bank.ts";
import {
  DxlDecoder,
  syncReadPacket,
} from "../drivers/joint_encoders/dynamixel_protocol.ts";
import { DynamixelSim } from "../drivers/joint_encoders/dynamixel_device_sim.ts";
import { concat } from "../drivers/serial/packet_source.ts";
import { PtyPair, socatAvailable } from "../drivers/serial/pty_pair.ts";
import { SimulatedPort } from "../drivers/serial/device_sim_port.ts";
import type { DeviceLink } from "../drivers/serial/device.ts";
import { silentLogger } from "../core/logging.ts";
import { startAgent } from "./harness/agent_process.ts";
import { requestResources } from "../agent/protocols/resources.ts";

const CHUNK = 4096;

const { values } = parseArgs({
  args: Deno.args,
  options: { seconds: { type: "string", default: "10" } },
});
const seconds = Number(values.seconds);

/** Packets per second decoding `bytes` in chunks with a fresh `decoder()`, best of three runs. */
async function rate(
  bytes: Uint8Array,
  packets: number,
  decoder: () => Promise<(chunk: Uint8Array) => number>,
): Promise<number> {
  let best = 0;
  for (let run = 0; run < 3; run++) {
    const push = await decoder();
    let decoded = 0;
    const started = performance.now();
    for (let at = 0; at < bytes.length; at += CHUNK) {
      decoded += push(bytes.subarray(at, at + CHUNK));
    }
    const elapsed = (performance.now() - started) / 1000;
    if (decoded !== packets) {
      throw new Error(`decoded ${decoded} of ${packets} packets`);
    }
    best = Math.max(best, packets / elapsed);
  }
  return best;
}

/** Items per second through `work` (true when it decoded the item), best of three runs. */
function itemsRate<T>(items: T[], work: (item: T) => boolean): number {
  let best = 0;
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const decoded = items.filter(work).length;
    const elapsed = (performance.now() - started) / 1000;
    if (decoded !== items.length) {
      throw new Error(`decoded ${decoded} of ${items.length}`);
    }
    best = Math.max(best, items.length / elapsed);
  }
  return best;
}

/** A link that goes nowhere, for driving a session by hand. */
const NOWHERE: DeviceLink = {
  write: () => Promise.resolve(),
  setLines: () => Promise.reject(new Error("no modem lines")),
  report: () => {},
  now: () => 0n,
  logger: silentLogger,
};

/** An RPLIDAR session taken through its handshake to scanning. */
async function scanningSession(): Promise<RplidarSession> {
  const session = new RplidarSession();
  session.open(NOWHERE);
  await new Promise((resolve) => setTimeout(resolve, 40));
  const info = RPLIDAR_SIM_DEFAULTS.info;
  session.push(
    concat([
      encodeDescriptor(HEALTH_DESCRIPTOR),
      encodeHealth({ status: 0, errorCode: 0 }),
    ]),
    0n,
  );
  session.push(
    concat([encodeDescriptor(INFO_DESCRIPTOR), encodeInfo(info)]),
    0n,
  );
  session.push(encodeDescriptor(SCAN_DESCRIPTOR), 0n);
  return session;
}

/** The answers of a six-servo bank to `count` Sync Reads, one array per cycle. */
function dynamixelAnswers(count: number): Uint8Array[] {
  const sim = new DynamixelSim();
  const requestBytes = syncReadPacket(132, 4, [1, 2, 3, 4, 5, 6]);
  return Array.from({ length: count }, (_, i) => {
    sim.receive(requestBytes, i * 2);
    return sim.until(i * 2);
  });
}

/**
 * Status packets per second through the `serial.dynamixel` decoder (a
 * {@link DynamixelBank} polling as fast as it is answered: each cycle's
 * answer is handed over once its Sync Read went out), best of three runs.
 */
async function bankRate(cycles: Uint8Array[]): Promise<number> {
  let best = 0;
  for (let run = 0; run < 3; run++) {
    const bank = new DynamixelBank({
      servos: [1, 2, 3, 4, 5, 6].map((id) => ({
        id,
        offsetRad: 0,
        direction: 1,
      })),
      rateHz: 1e9,
      timeoutMs: 1_000,
    });
    bank.open(NOWHERE);
    let published = 0;
    const started = performance.now();
    for (const cycle of cycles) {
      published += bank.push(cycle).valid;
      // The next Sync Read goes out in a microtask, as after a real answer.
      await null;
    }
    const elapsed = (performance.now() - started) / 1000;
    await bank.close();
    if (published !== cycles.length) {
      throw new Error(`published ${published} of ${cycles.length} cycles`);
    }
    best = Math.max(best, 6 * cycles.length / elapsed);
  }
  return best;
}

async function throughput(): Promise<void> {
  // 60 s of an LD06 (22500 packets, 150 turns), 300 s of a TFmini, 60 s of
  // an RPLIDAR (120000 nodes), 10000 DWM1001 answers, 60 s of CSI lines
  // (6000) and 20000 DYNAMIXEL cycles of six servos.
  const ld06 = ld06Source().until(59_999);
  const tfmini = tfminiSource().until(299_999);
  const ld06Packets = ld06.length / LD06_PACKET_SIZE;
  const tfminiFrames = tfmini.length / TFMINI_FRAME_SIZE;
  const rplidarSim = new RplidarSim();
  rplidarSim.receive(request(RplidarCommand.SCAN), 0);
  // Node 0 is due at 0.5 ms; the 7-byte descriptor comes first.
  const rplidar = rplidarSim.until(60_000).subarray(7);
  const rplidarNodes = rplidar.length / 5;
  // The decoder keeps the last two nodes until their successors come.
  const rplidarDecoded = rplidarNodes - 2;
  const dwmAnswers = Array.from(
    { length: 10_000 },
    (_, i) =>
      encodeLocation(simulatedLocation(DWM1001_SIM_DEFAULTS, i, i / 10)),
  );
  // The banner, then 6000 lines.
  const csiLines = new EspCsiSim().until(59_999);
  const dxlCycles = dynamixelAnswers(20_000);
  const dxl = concat(dxlCycles);
  const figures: [string, number][] = [
    [
      "LD06 packets, protocol decoder",
      await rate(ld06, ld06Packets, () => {
        const d = new Ld06Decoder();
        return Promise.resolve((c) => d.push(c).packets.length);
      }),
    ],
    [
      "LD06 packets, driver (scans packed)",
      await rate(ld06, ld06Packets, () => {
        const d = ld06Decoder();
        return Promise.resolve((c) => d.push(c, 0n).valid);
      }),
    ],
    [
      "TFmini frames, protocol decoder",
      await rate(tfmini, tfminiFrames, () => {
        const d = new TfminiDecoder();
        return Promise.resolve((c) => d.push(c).frames.length);
      }),
    ],
    [
      "TFmini frames, driver (points packed)",
      await rate(tfmini, tfminiFrames, () => {
        const d = tfminiDecoder();
        return Promise.resolve((c) => d.push(c, 0n).valid);
      }),
    ],
    [
      "RPLIDAR nodes, protocol decoder",
      await rate(rplidar, rplidarDecoded, () => {
        const d = new NodeDecoder();
        return Promise.resolve((c) => d.push(c).nodes.length);
      }),
    ],
  ];
  const sessions: RplidarSession[] = [];
  figures.push([
    "RPLIDAR nodes, driver (scans packed)",
    await rate(rplidar, rplidarDecoded, async () => {
      const session = await scanningSession();
      sessions.push(session);
      return (c) => session.push(c, 0n).valid;
    }),
  ]);
  for (const session of sessions) await session.close(false);
  figures.push(
    [
      "DWM1001 answers, TLV parse",
      itemsRate(dwmAnswers, (a) => parseAnswer(a).kind === "location"),
    ],
    [
      "DWM1001 answers, driver (UwbFrame + pose)",
      itemsRate(dwmAnswers, (a) => {
        const parsed = parseAnswer(a);
        return parsed.kind === "location" &&
          locationSamples(parsed.location, 0n).length === 2;
      }),
    ],
    [
      "ESP32 CSI lines, line split + parse",
      await rate(csiLines, 6000, () => {
        const splitter = new LineSplitter(16 * 1024);
        return Promise.resolve((c) =>
          splitter.push(c).lines.filter((l) =>
            typeof parseCsiLine(l) !== "string"
          ).length
        );
      }),
    ],
    [
      "ESP32 CSI lines, driver (amplitude, phase)",
      await rate(csiLines, 6000, () => {
        const d = espCsiDecoder();
        return Promise.resolve((c) => d.push(c, 0n).valid);
      }),
    ],
    [
      "DYNAMIXEL status packets, protocol decoder",
      await rate(dxl, 120_000, () => {
        const d = new DxlDecoder();
        return Promise.resolve((c) => d.push(c).packets.length);
      }),
    ],
  );
  figures.push([
    "DYNAMIXEL status packets, driver (angles)",
    await bankRate(dxlCycles),
  ]);
  console.log("(a) decode throughput (one core)");
  for (const [what, perSecond] of figures) {
    console.log(
      `    ${what.padEnd(44)} ${Math.round(perSecond).toLocaleString("en")} /s`,
    );
  }
  console.log(
    "    (an LD06 sends 375 packets/s, a TFmini 100 to 1000 frames/s, an\n" +
      "    RPLIDAR 2000 to 4000 nodes/s, a DWM1001 10 answers/s, esp-csi about\n" +
      "    100 lines/s, six servos at 500 Hz 3000 status packets/s)",
  );
}

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 Hz).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A simulated device on a fresh pty pair in `dir`, and its driver's configuration. */
async function device(
  dir: string,
  name: string,
  baudRate: number,
  source: ConstructorParameters<typeof SimulatedPort>[0]["source"],
  sensor: Record<string, unknown>,
) {
  const pair = await PtyPair.start(
    join(dir, `${name}-device`),
    join(dir, name),
  );
  const sim = new SimulatedPort({
    path: pair.device,
    baudRate,
    source,
    peer: pair.host,
  });
  sim.start();
  const config: Record<string, unknown> = {
    id: name,
    port: pair.host,
    ...sensor,
  };
  return { pair, sim, sensor: config };
}

async function agentCpu(
  title: string,
  devices: (dir: string) => Promise<Awaited<ReturnType<typeof device>>[]>,
): Promise<void> {
  console.log(`${title} (${seconds} s)`);
  if (!await socatAvailable()) {
    console.log("    skipped: socat is not installed (apt-get install socat)");
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-bench-serial-" });
  const running = await devices(dir);
  const agent = await startAgent({
    config: { sensors: running.map((d) => d.sensor) },
  });
  try {
    for (const { sensor } of running) {
      await agent.waitForStderr(`${sensor.id}: online`, 10_000);
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await withClient(async (node) => {
      const entries = async () =>
        new Map(
          (await requestResources(node, agent.address)).map((
            r,
          ) => [r.resource_id, Number(r.available.entries)]),
        );
      const entries0 = await entries();
      const agent0 = await cpuSeconds(agent.pid);
      const sim0 = await cpuSeconds(Deno.pid);
      const written0 = running.reduce((n, d) => n + d.sim.stats.written, 0);
      const wall0 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      const wall = (performance.now() - wall0) / 1000;
      const agentCpu = await cpuSeconds(agent.pid) - agent0;
      const simCpu = await cpuSeconds(Deno.pid) - sim0;
      const entries1 = await entries();
      const written = running.reduce((n, d) => n + d.sim.stats.written, 0) -
        written0;
      const share = (cpu: number) =>
        `${(100 * cpu / wall).toFixed(1)} % of one core (${
          cpu.toFixed(2)
        } s CPU in ${wall.toFixed(1)} s)`;
      console.log(`    agent process              ${share(agentCpu)}`);
      console.log(`    simulators (bench process) ${share(simCpu)}`);
      console.log(
        `    serial bytes from the devices: ${
          Math.round(written / wall).toLocaleString("en")
        } /s`,
      );
      for (const { sensor } of running) {
        const id = sensor.id as string;
        const perSecond = ((entries1.get(id) ?? 0) - (entries0.get(id) ?? 0)) /
          wall;
        console.log(
          `    ${id.padEnd(10)} recorded ${
            perSecond.toFixed(1)
          } entries/s (nominal ${sensor.rate_hz})`,
        );
      }
    });
  } finally {
    await agent.stop();
    for (const { pair, sim } of running) {
      await sim.stop();
      await pair.unplug();
    }
    await Deno.remove(dir, { recursive: true });
  }
}

const ld06Device = (dir: string) =>
  device(dir, "ld06", LD06_BAUD, ld06Source(), {
    driver: "serial.ld06",
    rate_hz: 10,
  });

await throughput();
await agentCpu(
  "(b) agent CPU while recording an LD06 at 4500 points/s",
  async (dir) => [await ld06Device(dir)],
);
await agentCpu(
  "(c) agent CPU while recording an LD06 at 4500 points/s and polling six\n" +
    "    DYNAMIXEL servos at 500 Hz over 1 Mbaud",
  async (dir) => [
    await ld06Device(dir),
    await device(dir, "dynamixel", 1_000_000, new DynamixelSim(), {
      driver: "serial.dynamixel",
      baud: 1_000_000,
      rate_hz: 500,
      servos: [1, 2, 3, 4, 5, 6].map((id) => ({ id })),
    }),
  ],
);
// As in main.ts: a stopped libp2p node leaves handles that keep the process alive.
Deno.exit(0);
