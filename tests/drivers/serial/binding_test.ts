/**
 * The FFI serial binding under serialport's own stream and parser, through
 * real socat pty pairs: raw bytes, any baud rate, hang-up, close during a
 * pending read, and errors that name the port.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SerialPortStream } from "@serialport/stream";
import { ByteLengthParser } from "@serialport/parser-byte-length";
import {
  ffiBinding,
  openPort,
  readBaudRate,
} from "../../../drivers/serial/binding.ts";
import { SerialPortError } from "../../../drivers/serial/errors.ts";
import { ptyTest, withPair } from "../../helpers/serial.ts";
import { until } from "../../helpers/wait.ts";
import { withDir } from "../../helpers/temp_dir.ts";

function openStream(path: string, baudRate: number): Promise<SerialPortStream> {
  return new Promise((resolve, reject) => {
    const stream = new SerialPortStream(
      { binding: ffiBinding, path, baudRate },
      (error) => error ? reject(error) : resolve(stream),
    );
  });
}

function closeStream(stream: SerialPortStream): Promise<void> {
  return new Promise((resolve) =>
    stream.isOpen ? stream.close(() => resolve()) : resolve()
  );
}

ptyTest(
  "binding: SerialPortStream and a parser carry every byte value unchanged",
  async () => {
    await withPair(async (pair) => {
      const device = await openStream(pair.device, 230400);
      const host = await openStream(pair.host, 230400);
      try {
        const parser = host.pipe(new ByteLengthParser({ length: 64 }));
        const chunks: Uint8Array[] = [];
        parser.on("data", (chunk: Uint8Array) => chunks.push(chunk));
        // Every byte value, including CR, LF, ^C, ^S/^Q, ^D and 0xFF, which a
        // terminal not in raw mode would translate, swallow or act on.
        const all = Uint8Array.from({ length: 256 }, (_, i) => i);
        device.write(Buffer.from(all));
        device.write(Buffer.from(all.slice().reverse()));
        await until(() => chunks.length === 8, "8 chunks of 64 bytes");
        const received = new Uint8Array(512);
        chunks.forEach((c, i) => received.set(c, 64 * i));
        assert.deepEqual(received.subarray(0, 256), all);
        assert.deepEqual(received.subarray(256), all.slice().reverse());
      } finally {
        await closeStream(device);
        await closeStream(host);
      }
    });
  },
);

ptyTest(
  "binding: any baud rate is set exactly (BOTHER) and can be changed",
  async () => {
    await withPair(async (pair) => {
      const port = openPort({ path: pair.host, baudRate: 250000 });
      try {
        assert.deepEqual(await port.getBaudRate(), { baudRate: 250000 });
        assert.equal(readBaudRate(pair.host), 250000, "seen from another fd");
        await port.update({ baudRate: 1_234_567 });
        assert.deepEqual(await port.getBaudRate(), { baudRate: 1_234_567 });
        assert.equal(port.openOptions.baudRate, 1_234_567);
        await port.flush();
        await port.write(Buffer.from([1, 2, 3]));
        await port.drain();
      } finally {
        await port.close();
      }
      assert.equal(port.isOpen, false);
      await assert.rejects(port.getBaudRate(), /the port was closed/);
    });
  },
);

ptyTest(
  "binding: unplugging closes the stream with a disconnect naming the port",
  async () => {
    await withPair(async (pair) => {
      const host = await openStream(pair.host, 115200);
      const closed = new Promise<Error | null>((resolve) =>
        host.once("close", resolve)
      );
      host.resume();
      const started = performance.now();
      await pair.unplug("SIGKILL");
      const error = await closed;
      assert.ok(performance.now() - started < 1_000);
      assert.equal(
        (error as Error & { disconnected?: boolean }).disconnected,
        true,
      );
      // The kernel reports a hung-up terminal as end-of-file or as EIO.
      assert.ok(
        [
          `cannot read ${pair.host}: hung up (the device was unplugged or closed)`,
          `cannot read ${pair.host}: input/output error (the device was unplugged or failed) [EIO]`,
        ].includes(error?.message ?? ""),
        error?.message,
      );
    });
  },
);

ptyTest(
  "binding: close returns promptly during a pending read, which is canceled",
  async () => {
    await withPair(async (pair) => {
      const port = openPort({ path: pair.host, baudRate: 9600 });
      const reading = port.read(Buffer.alloc(16), 0, 16);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const started = performance.now();
      await port.close();
      assert.ok(
        performance.now() - started < 500,
        "close within a poll period",
      );
      const error = await reading.then(() => undefined, (e) => e);
      assert.ok(error instanceof SerialPortError);
      assert.equal(error.canceled, true);
    });
  },
);

ptyTest("binding: a locked port is refused naming the port", async () => {
  await withPair(async (pair) => {
    const first = openPort({ path: pair.host, baudRate: 9600 });
    try {
      assert.throws(
        () => openPort({ path: pair.host, baudRate: 9600 }),
        new RegExp(
          `^SerialPortError: cannot open ${pair.host}: in use by another process`,
        ),
      );
    } finally {
      await first.close();
    }
    await (await ffiBinding.open({ path: pair.host, baudRate: 9600 })).close();
  });
});

Deno.test("binding: open errors name the port and the cause", async (t) => {
  await withDir(async (dir) => {
    const cases: [string, string, RegExp][] = [
      [
        "missing",
        `${dir}/ttyUSB9`,
        /no such device \(is it plugged in\?\) \[ENOENT\]$/,
      ],
      ["a directory", dir, /is a directory, not a serial port \[EISDIR\]$/],
      [
        "not a terminal",
        "/dev/null",
        /not a serial port \(no terminal settings\)$/,
      ],
    ];
    for (const [name, path, cause] of cases) {
      await t.step(name, async () => {
        const error = await ffiBinding.open({ path, baudRate: 115200 }).then(
          () => undefined,
          (e) => e,
        );
        assert.ok(error instanceof SerialPortError, String(error));
        assert.ok(
          error.message.startsWith(`cannot open ${path}: `),
          error.message,
        );
        assert.match(error.message, cause);
      });
    }
    await t.step("bad settings", () => {
      assert.throws(
        () => openPort({ path: "/dev/null", baudRate: 0 }),
        /^SerialPortError: cannot open \/dev\/null: baud rate must be a positive integer, got 0$/,
      );
      assert.throws(
        () => openPort({ path: "/dev/null", baudRate: 9600, stopBits: 1.5 }),
        /stop bits must be 1 or 2 on Linux, got 1.5/,
      );
    });
  }, "auki-edge-binding-");
});
