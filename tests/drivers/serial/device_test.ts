/**
 * The serial device supervisor through real socat pty pairs: hot-plug
 * (unplugged: offline within 1 s; plugged back: online again), a device
 * absent at start, and a device that goes silent.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tfminiDecoder } from "../../../drivers/rangefinder/tfmini.ts";
import { tfminiSource } from "../../../drivers/rangefinder/tfmini_device_sim.ts";
import { SerialDevice } from "../../../drivers/serial/device.ts";
import { PtyPair } from "../../../drivers/serial/pty_pair.ts";
import { SimulatedPort } from "../../../drivers/serial/device_sim_port.ts";
import { RecordingSink } from "../fake_sink.ts";
import { ptyTest } from "../../helpers/serial.ts";
import { MemoryLogger } from "../../helpers/logger.ts";
import { until } from "../../helpers/wait.ts";

interface Rig {
  pair: PtyPair;
  sim: SimulatedPort;
  device: SerialDevice;
  sink: RecordingSink;
  lines: string[];
}

/** A TFmini simulator on a pair whose host end a supervised device opens. */
async function withRig(
  options: { plugged?: boolean; silenceMs?: number },
  work: (rig: Rig) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-device-" });
  const pair = await PtyPair.start(join(dir, "device"), join(dir, "host"));
  if (options.plugged === false) await pair.unplug();
  const sim = new SimulatedPort({
    path: pair.device,
    baudRate: 115200,
    source: tfminiSource({ rateHz: 200 }),
  });
  const lines: string[] = [];
  const sink = new RecordingSink();
  const device = new SerialDevice(
    {
      model: "TFmini",
      selector: { path: pair.host },
      baudRate: 115200,
      decoder: tfminiDecoder(),
      silenceMs: options.silenceMs,
    },
    sink,
    {
      now: () => BigInt(Date.now()) * 1_000_000n,
      logger: new MemoryLogger(lines),
    },
  );
  sim.start();
  device.start();
  try {
    await work({ pair, sim, device, sink, lines });
  } finally {
    await device.stop();
    await sim.stop();
    await pair.unplug();
    await Deno.remove(dir, { recursive: true });
  }
}

const count = (sink: RecordingSink, kind: string) =>
  sink.events.filter((e) => e.kind === kind).length;

for (const signal of ["SIGKILL", "SIGTERM"] as const) {
  ptyTest(
    `serial device: unplugged (socat ${signal}) goes offline within 1 s and comes back`,
    async () => {
      await withRig({}, async ({ pair, device, sink, lines }) => {
        await until(() => sink.samples.length >= 10, "samples");
        assert.deepEqual(sink.events[0], { kind: "online" });
        const host = device.path;
        await pair.unplug(signal);
        const ms = await until(
          () => count(sink, "offline") === 1,
          "offline",
          1_000,
        );
        assert.ok(ms < 1_000, `offline after ${ms} ms`);
        const offline = sink.events.find((e) => e.kind === "offline");
        assert.equal(
          offline?.kind === "offline" && offline.reason,
          "source_ended",
        );
        assert.match(
          offline?.kind === "offline" ? offline.detail : "",
          new RegExp(`^TFmini on ${host} disconnected: `),
        );
        const before = sink.samples.length;
        await pair.plug();
        await until(() => count(sink, "online") === 2, "online again");
        await until(
          () => sink.samples.length >= before + 10,
          "samples again",
        );
        assert.equal(device.stats.opens, 2);
        assert.equal(
          lines.filter((l) => l.startsWith("INFO opened")).length,
          2,
        );
      });
    },
  );
}

ptyTest(
  "serial device: absent at start, retried until it appears",
  async () => {
    await withRig({ plugged: false }, async ({ pair, sink, lines }) => {
      await until(() => lines.length > 0, "a log line");
      assert.equal(
        lines[0],
        `WARN TFmini: cannot open ${pair.host}: no such device (is it plugged in?) [ENOENT]; retrying`,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(sink.events.length, 0);
      assert.equal(lines.length, 1, "open failures are rate-limited");
      await pair.plug();
      await until(() => sink.samples.length >= 5, "samples", 3_000);
      assert.deepEqual(sink.events[0], { kind: "online" });
    });
  },
);

ptyTest(
  "serial device: a device that stops sending goes offline, then recovers",
  async () => {
    await withRig({ silenceMs: 300 }, async ({ sim, device, sink, lines }) => {
      await until(() => sink.samples.length >= 5, "samples");
      await sim.stop();
      await until(() => count(sink, "offline") === 1, "offline", 1_000);
      const offline = sink.events.find((e) => e.kind === "offline");
      assert.equal(
        offline?.kind === "offline" && offline.reason,
        "producer_error",
      );
      assert.equal(
        offline?.kind === "offline" && offline.detail,
        `TFmini on ${device.path} stopped: no valid packet for 0.3 s (0 bytes, 0 corrupt packets received)`,
      );
      assert.ok(lines.some((l) => l.startsWith("ERROR TFmini on ")));
      sim.start();
      await until(() => count(sink, "online") === 2, "online again");
    });
  },
);

ptyTest(
  "serial device: a decoder that throws takes the sensor offline, not the process",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "auki-edge-device-" });
    const pair = await PtyPair.start(join(dir, "device"), join(dir, "host"));
    const sim = new SimulatedPort({
      path: pair.device,
      baudRate: 115200,
      source: tfminiSource({ rateHz: 200 }),
    });
    const inner = tfminiDecoder();
    let pushes = 0;
    const lines: string[] = [];
    const sink = new RecordingSink();
    const device = new SerialDevice(
      {
        model: "TFmini",
        selector: { path: pair.host },
        baudRate: 115200,
        decoder: {
          push(bytes, nowNs) {
            if (++pushes === 10) throw new RangeError("decoder bug");
            return inner.push(bytes, nowNs);
          },
          reset: () => inner.reset(),
        },
      },
      sink,
      {
        now: () => BigInt(Date.now()) * 1_000_000n,
        logger: new MemoryLogger(lines),
      },
    );
    sim.start();
    device.start();
    try {
      await until(() => count(sink, "online") === 2, "online again");
      const offline = sink.events.find((e) => e.kind === "offline");
      assert.deepEqual(offline, {
        kind: "offline",
        reason: "producer_error",
        detail: `TFmini on ${pair.host}: cannot decode: decoder bug`,
      });
      assert.ok(
        lines.includes(
          `ERROR TFmini on ${pair.host}: cannot decode: decoder bug`,
        ),
      );
    } finally {
      await device.stop();
      await sim.stop();
      await pair.unplug();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
