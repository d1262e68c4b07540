/**
 * libp2p's component logs routed into our logger: printf-style formatting,
 * the component name as a field, debug level only, trace dropped.
 *
 * @module
 */
import assert from "node:assert/strict";
import { formatLibp2p, libp2pLogging } from "../../agent/libp2p_logger.ts";
import { createLogger } from "../../core/logging.ts";

Deno.test("formatLibp2p fills %s/%p/%a/%o in order and appends the rest", () => {
  assert.equal(
    formatLibp2p("dial %p on %a - %e", [
      "peer",
      "/ip4/1.2.3.4",
      new Error("x"),
    ]),
    "dial peer on /ip4/1.2.3.4 - x",
  );
  assert.equal(formatLibp2p("%d%% done %o", [5, { a: 1n }]), '5% done {"a":1}');
  assert.equal(formatLibp2p("no args %s", []), "no args %s");
  assert.equal(formatLibp2p("extra", [1, "two"]), "extra 1 two");
  assert.equal(
    formatLibp2p("key %b", [new Uint8Array([0, 171, 255])]),
    "key 00abff",
  );
  assert.equal(formatLibp2p(new Error("boom"), []), "boom");
});

Deno.test("libp2pLogging routes component logs to debug, only at debug", () => {
  const lines: string[] = [];
  const sink = (line: string) => lines.push(line);
  assert.deepEqual(
    libp2pLogging(createLogger({ level: "info", sink })),
    {},
    "libp2p keeps its own (silent) logger above debug",
  );
  assert.deepEqual(libp2pLogging(undefined), {});
  const { logger } = libp2pLogging(
    createLogger({ level: "debug", format: "json", sink }),
  );
  assert.ok(logger);
  const log = logger.forComponent("libp2p:tcp");
  assert.equal(log.enabled, true);
  log("listening on %a", "/ip4/127.0.0.1/tcp/1");
  log.error("failed %s", "x");
  log.trace("every frame");
  log.newScope("listener")("closed");
  const objects = lines.map((line) => JSON.parse(line));
  assert.deepEqual(
    objects.map((o) => [o.level, o.component, o.libp2p, o.message]),
    [
      [
        "debug",
        "auki-edge/libp2p",
        "libp2p:tcp",
        "listening on /ip4/127.0.0.1/tcp/1",
      ],
      ["debug", "auki-edge/libp2p", "libp2p:tcp", "failed x"],
      ["debug", "auki-edge/libp2p", "libp2p:tcp:listener", "closed"],
    ],
  );
});
