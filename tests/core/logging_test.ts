/**
 * The logger's formats: text with a timestamp, journald text with the
 * sd-daemon priority and no timestamp, one JSON object per line with the
 * structured fields, and level filtering.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  createLogger,
  type Logger,
  type LoggerOptions,
} from "../../core/logging.ts";

function capture(
  options: LoggerOptions,
): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ ...options, sink: (line) => lines.push(line) });
  return { logger, lines };
}

Deno.test("text lines carry an ISO time, the level and the component", () => {
  const { logger, lines } = capture({ component: "auki-edge" });
  logger.child("net").info("peer connected", { peer: "x" });
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}auki-edge\/net: peer connected$/,
  );
});

Deno.test("journald text lines start with the sd-daemon priority, without a time", () => {
  const { logger, lines } = capture({ journal: true, level: "debug" });
  logger.error("e");
  logger.warn("w");
  logger.info("i");
  logger.debug("d");
  assert.deepEqual(lines, [
    "<3>ERROR auki-edge: e",
    "<4>WARN  auki-edge: w",
    "<6>INFO  auki-edge: i",
    "<7>DEBUG auki-edge: d",
  ]);
});

Deno.test("json lines are one object with time, level, component, message and fields", () => {
  const { logger, lines } = capture({ format: "json", journal: true });
  const sensor = logger.child("sensor/sim_uwb");
  sensor.info("online", { sensor_id: "sim_uwb", seq: 2n ** 60n });
  // Fields never replace the line's own keys.
  sensor.warn("offline: gone", { message: "other", level: "x", reason: "r" });
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(first), [
    "time",
    "level",
    "component",
    "message",
    "sensor_id",
    "seq",
  ]);
  assert.ok(!Number.isNaN(Date.parse(first.time)), first.time);
  assert.equal(first.level, "info");
  assert.equal(first.component, "auki-edge/sensor/sim_uwb");
  assert.equal(first.message, "online");
  assert.match(lines[0], /"seq":1152921504606846976\}$/);
  const second = JSON.parse(lines[1]);
  assert.equal(second.message, "offline: gone");
  assert.equal(second.level, "warn");
  assert.equal(second.reason, "r");
});

Deno.test("lines below the level are dropped, in children too", () => {
  const { logger, lines } = capture({ level: "warn" });
  const child = logger.child("x");
  for (const at of [logger, child]) {
    at.debug("d");
    at.info("i");
    at.warn("w");
    at.error("e");
  }
  assert.equal(lines.length, 4);
  assert.deepEqual(lines.map((l) => l.split(" ")[1]), [
    "WARN",
    "ERROR",
    "WARN",
    "ERROR",
  ]);
  assert.equal(child.level, "warn");
});
