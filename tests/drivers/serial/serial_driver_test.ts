/**
 * What every serial driver does alike, written once over a table of the six
 * drivers, each against its device simulator through a real socat pty pair:
 * configuration mistakes are refused naming the key, an unplugged device
 * goes offline within 1 s and comes back when plugged in again, and a wrong
 * baud rate or a wrong device on the port is reported naming the port.
 * What each driver decodes is tested beside it (`ld06_test.ts`, ...).
 *
 * @module
 */
import assert from "node:assert/strict";
import { configErrors } from "../fake_sink.ts";
import { ptyTest, runDriver, runHotplug } from "../../helpers/serial.ts";
import { SERIAL_CASES } from "./_serial_cases.ts";

for (const c of SERIAL_CASES) {
  const name = c.factory.name;

  Deno.test(`${name}: configuration mistakes are refused naming the key`, () => {
    const port = { ...c.config, port: "/dev/a" };
    assert.match(configErrors(c.factory, c.config), /port: set exactly one/);
    assert.match(
      configErrors(c.factory, { ...port, port_id: "10c4:ea60" }),
      /port: set exactly one of port/,
    );
    assert.match(
      configErrors(c.factory, { ...c.config, port: "" }),
      /port: must not be empty/,
    );
    assert.match(
      configErrors(c.factory, { ...port, speed: 1 }),
      /Unrecognized key: "speed"/,
    );
    assert.match(
      configErrors(c.factory, { ...port, baud: 9600.5 }),
      /baud: must be a whole number/,
    );
    assert.match(
      configErrors(c.factory, { ...port, baud: 0 }),
      /baud: must be positive/,
    );
    assert.match(
      configErrors(c.factory, { ...port, rate_hz: 0 }),
      /rate_hz: must be greater than 0 Hz/,
    );
  });

  ptyTest(
    `${name}: unplugged, it goes offline within 1 s; plugged back, it is online again`,
    async () => {
      const run = await runHotplug(c.factory, c.device(), c.config, c.baud);
      const offline = run.sink.events.find((e) => e.kind === "offline");
      assert.equal(
        offline?.kind === "offline" && offline.reason,
        "source_ended",
      );
      assert.ok(run.offlineAfterMs < 1_000, `offline ${run.offlineAfterMs} ms`);
      assert.ok(run.onlineAfterMs < 3_000, `online ${run.onlineAfterMs} ms`);
    },
  );

  ptyTest(
    `${name}: a wrong baud rate or another device on the port is reported naming the port`,
    async () => {
      const [wrongBaud, wrongDevice] = await Promise.all([
        runDriver(
          c.factory,
          c.device(),
          { ...c.config, baud: c.wrongBaud },
          2_400,
          c.baud,
        ),
        runDriver(c.factory, c.other.device(), c.config, 2_400, c.other.baud),
      ]);
      for (const { sink } of [wrongBaud, wrongDevice]) {
        assert.equal(sink.samples.length, 0);
        assert.ok(!sink.events.some((e) => e.kind === "online"));
      }
      const errorOf = (lines: string[]) =>
        lines.find((l) => l.startsWith("ERROR"));
      const noValid = (host: string) =>
        `ERROR no valid ${c.model} packet in 2 s on ${host}: wrong baud rate or not ${c.article}`;
      if (c.asks) {
        assert.equal(
          errorOf(wrongBaud.lines),
          `ERROR no answer in 2 s on ${wrongBaud.host}: wrong baud rate (${c.wrongBaud} baud configured), not ${c.article}, or not connected and powered`,
        );
      } else {
        assert.equal(
          errorOf(wrongBaud.lines)?.replace(/ \(.*$/, ""),
          noValid(wrongBaud.host),
        );
        assert.match(
          errorOf(wrongBaud.lines)!,
          new RegExp(
            `\\(${c.wrongBaud} baud configured; [1-9]\\d* bytes, \\d+ corrupt packets received\\)$`,
          ),
        );
      }
      assert.equal(
        errorOf(wrongDevice.lines)?.replace(/ \(.*$/, ""),
        noValid(wrongDevice.host),
      );
    },
  );
}
