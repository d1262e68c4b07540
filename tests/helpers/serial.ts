/**
 * Helpers of the serial tests: socat pty pairs (tests that need one are
 * skipped, with one line saying why, when socat is not installed), and runs
 * of a serial driver against a device simulator on one.
 *
 * @module
 */
import { join } from "node:path";
import type { DriverFactory, SensorDriver } from "../../drivers/driver.ts";
import type { DeviceStats, SerialDevice } from "../../drivers/serial/device.ts";
import type { ByteSource } from "../../drivers/serial/packet_source.ts";
import { PtyPair, socatAvailable } from "../../drivers/serial/pty_pair.ts";
import { SimulatedPort } from "../../drivers/serial/device_sim_port.ts";
import { RecordingSink } from "../drivers/fake_sink.ts";
import { MemoryLogger } from "./logger.ts";
import { until } from "./wait.ts";

/** Whether socat is installed. */
export const SOCAT: boolean = await socatAvailable();

if (!SOCAT) {
  console.warn(
    "socat is not installed: skipping the serial tests that need a pty pair (apt-get install socat)",
  );
}

/** Declares a test that needs socat; skipped (ignored) without it. */
export function ptyTest(
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
): void {
  Deno.test({ name, ignore: !SOCAT, fn });
}

/** Runs `work` with a fresh pty pair in a temporary directory, removed afterwards. */
export async function withPair<T>(
  work: (pair: PtyPair, dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-serial-" });
  const pair = await PtyPair.start(join(dir, "device"), join(dir, "host"));
  try {
    return await work(pair, dir);
  } finally {
    await pair.unplug();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A serial driver as built by its factory, with its supervised device. */
export type SerialTestDriver = SensorDriver & {
  readonly device: SerialDevice | undefined;
};

/** What {@link runDriver} saw. */
export interface DriverRun {
  /** Everything the driver reported. */
  sink: RecordingSink;
  /** Its log lines. */
  lines: string[];
  /** Its device's counters once the simulator stopped. */
  stats: DeviceStats;
  /** The port the driver opened. */
  host: string;
}

/**
 * Runs `factory`'s driver on the host end of a fresh pty pair (its
 * configuration `config` plus `port`), starts `source` on the device end
 * at `sourceBaud` once the port is open, lets it run `ms`, then stops the
 * simulator, lets the last bytes arrive, and stops the driver.
 */
export async function runDriver(
  factory: DriverFactory,
  source: ByteSource,
  config: Record<string, unknown>,
  ms: number,
  sourceBaud: number,
): Promise<DriverRun> {
  return await withPair(async (pair) => {
    const lines: string[] = [];
    const driver = factory.create(
      factory.config.parse({ port: pair.host, ...config }),
    ) as SerialTestDriver;
    const sink = new RecordingSink();
    await driver.start(sink, {
      now: () => BigInt(Date.now()) * 1_000_000n,
      logger: new MemoryLogger(lines),
    });
    const device = driver.device!;
    const sim = new SimulatedPort({
      path: pair.device,
      baudRate: sourceBaud,
      source,
      peer: pair.host,
    });
    try {
      await until(() => device.path !== undefined, "the port to open");
      sim.start();
      await new Promise((resolve) => setTimeout(resolve, ms));
      await sim.stop();
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { sink, lines, stats: { ...device.stats }, host: pair.host };
    } finally {
      await sim.stop();
      await driver.stop();
    }
  });
}

/** What {@link runHotplug} saw. */
export interface HotplugRun {
  /** Everything the driver reported. */
  sink: RecordingSink;
  /** Its log lines. */
  lines: string[];
  /** Samples published before the unplug. */
  before: number;
  /** How long after the unplug the driver went offline, ms. */
  offlineAfterMs: number;
  /** How long after the replug it was online again, ms. */
  onlineAfterMs: number;
}

/**
 * Runs `factory`'s driver against `source` on a fresh pty pair, unplugs the
 * pair once a few samples arrived, waits for the driver to report the
 * device gone, plugs it back and waits for samples to resume.
 */
export async function runHotplug(
  factory: DriverFactory,
  source: ByteSource,
  config: Record<string, unknown>,
  sourceBaud: number,
): Promise<HotplugRun> {
  return await withPair(async (pair) => {
    const lines: string[] = [];
    const driver = factory.create(
      factory.config.parse({ port: pair.host, ...config }),
    ) as SerialTestDriver;
    const sink = new RecordingSink();
    await driver.start(sink, {
      now: () => BigInt(Date.now()) * 1_000_000n,
      logger: new MemoryLogger(lines),
    });
    const sim = new SimulatedPort({
      path: pair.device,
      baudRate: sourceBaud,
      source,
      peer: pair.host,
    });
    sim.start();
    const offline = () => sink.events.some((e) => e.kind === "offline");
    try {
      await until(() => sink.samples.length >= 3, "the first samples");
      const before = sink.samples.length;
      await pair.unplug();
      const offlineAfterMs = await until(offline, "offline after unplug");
      await pair.plug();
      const onlineAfterMs = await until(
        () => sink.events.filter((e) => e.kind === "online").length >= 2,
        "online after replug",
      );
      await until(
        () => sink.samples.length >= before + 3,
        "samples after replug",
      );
      return { sink, lines, before, offlineAfterMs, onlineAfterMs };
    } finally {
      await sim.stop();
      await driver.stop();
    }
  });
}
