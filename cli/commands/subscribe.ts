/**
 * `auki-edge subscribe MULTIADDR RESOURCE_ID`: read a stream over
 * `/auki/stream/0.2.0`, one line per entry, or its rate, bandwidth,
 * jitter and gaps once a second with `--hz`. Ctrl-C ends it quietly.
 *
 * @module
 */
import { stringifyJson } from "../../core/codec/json.ts";
import type { ReadFrom } from "../../agent/logs/log.ts";
import { payloadJson, summarizePayload } from "../../agent/payloads.ts";
import { requestRegistryEntry } from "../../agent/protocols/registries.ts";
import {
  StreamDeclinedError,
  Subscription,
} from "../../agent/protocols/stream_consumer.ts";
import { snakeCase } from "../../agent/protocols/stream_messages.ts";
import { readSensorEntry } from "../../core/registries/sensor_reader.ts";
import { flagValue, parseCommand, parseCount } from "../args.ts";
import {
  formatReport,
  type MeterReport,
  StreamMeter,
} from "../stream_meter.ts";
import {
  type Device,
  parseTarget,
  withDevice,
  withDomainDevice,
} from "../client.ts";
import type { Stream } from "@libp2p/interface";
import { openAuthenticated } from "../../agent/genb/client.ts";
import { AUTH_STREAM } from "../../agent/genb/ids.ts";
import { AUTH_FLAGS, AUTH_FLAGS_HELP, peerAccessOf } from "../auth_flags.ts";
import { CLUSTER_FLAGS, CLUSTER_FLAGS_HELP } from "../cluster_flags.ts";
import { type Output, STDIO } from "../output.ts";

const HELP = `Usage: auki-edge subscribe MULTIADDR RESOURCE_ID [options]

Subscribes to a resource over /auki/stream/0.2.0 and prints one line per entry:
timestamp (ns and UTC), seq and a payload summary. Ctrl-C ends it (exit 0).

Arguments:
  MULTIADDR          the peer, e.g. /ip4/192.168.1.20/tcp/4001/p2p/12D3KooW...
  RESOURCE_ID        a resource_id from its catalog

Options:
  --from POSITION    latest (default), start, or a timestamp in ns on the log's clock
  --count N          stop after N entries
  --source PEER_ID   the log's source peer (default: the peer dialled)
  --json             print each entry decoded as JSON
  --hz               instead of entries, print once a second the rate,
                     bandwidth, arrival jitter (standard deviation of the
                     intervals), shortest and longest interval, gaps (source
                     timestamp steps over 1.5 nominal periods) and lost
                     entries (missing seq), and a summary at the end; with
                     --json as one JSON object per line
${CLUSTER_FLAGS_HELP}
${AUTH_FLAGS_HELP}
  -h, --help         show this help
`;

/** Parses a `--from` value. */
function parseFrom(raw: string): ReadFrom {
  if (raw === "latest") return { kind: "latest" };
  if (raw === "start") return { kind: "start" };
  if (/^\d+$/.test(raw)) return { kind: "timestamp", timestampNs: BigInt(raw) };
  throw new Error(`"${raw}" is not latest, start or a timestamp in ns`);
}

/** Runs the subscribe command; returns the exit code. */
export async function subscribeCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values, positionals } = parseCommand({
    name: "subscribe",
    options: {
      from: { type: "string" },
      count: { type: "string" },
      source: { type: "string" },
      json: { type: "boolean" },
      hz: { type: "boolean" },
      ...CLUSTER_FLAGS,
      ...AUTH_FLAGS,
    },
    positionals: ["MULTIADDR", "RESOURCE_ID"],
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const target = parseTarget("subscribe", positionals[0]);
  const from = flagValue(
    "subscribe",
    "from",
    values.from ?? "latest",
    parseFrom,
  );
  const count = values.count === undefined
    ? undefined
    : flagValue("subscribe", "count", values.count, parseCount);
  const { cluster, auth } = await peerAccessOf("subscribe", values);
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  Deno.addSignalListener("SIGINT", onInterrupt);
  const options: ReadOptions = {
    resourceId: positionals[1],
    sourcePeerId: values.source,
    from,
    count,
    json: values.json ?? false,
    hz: values.hz ?? false,
    interrupt: interrupt.signal,
  };
  try {
    if (auth === undefined) {
      return await withDevice(
        target,
        cluster,
        (device) => read(device, options, output),
      );
    }
    return await withDomainDevice(auth, target, (device) =>
      read(device, {
        ...options,
        openStream: (signal) =>
          openAuthenticated(
            device.node,
            target,
            AUTH_STREAM,
            device.authority,
            {
              signal,
            },
          ),
        sendRegistries: device.sendRegistries,
      }, output));
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}

/** What to read and how to print it. */
interface ReadOptions {
  resourceId: string;
  sourcePeerId?: string;
  from: ReadFrom;
  count?: number;
  json: boolean;
  hz: boolean;
  /** Aborted on Ctrl-C: the command ends quietly with exit code 0. */
  interrupt: AbortSignal;
  /** Opens the stream instead of dialing `/auki/stream/0.2.0` (gen B). */
  openStream?: (signal: AbortSignal) => Promise<Stream>;
  /** Sends a registries request (gen B authenticates it). */
  sendRegistries?: (body: Uint8Array) => Promise<Uint8Array>;
}

async function read(
  { node, target, request }: Pick<Device, "node" | "target" | "request">,
  options: ReadOptions,
  output: Output,
): Promise<number> {
  const { interrupt } = options;
  if (interrupt.aborted) return 0;
  let subscription: Subscription;
  try {
    subscription = await request(() =>
      Subscription.open(node, target, options, {
        signal: interrupt,
        openStream: options.openStream,
      })
    );
  } catch (error) {
    if (interrupt.aborted) return 0;
    if (!(error instanceof StreamDeclinedError)) throw error;
    output.err(
      `auki-edge subscribe: "${options.resourceId}" ${error.message}`,
    );
    return 1;
  }
  const { manifest } = subscription;
  const sensor = manifest.sensorId === "" || options.hz
    ? undefined
    : await requestRegistryEntry(
      node,
      target,
      "sensor",
      manifest.sensorId,
      manifest.sensorHash,
      options.sendRegistries,
    ).then((e) => e && readSensorEntry(e.entry)).catch(() => undefined);
  const meter = options.hz
    ? new StreamMeter(manifest.expectedRateHz)
    : undefined;
  const report = (kind: "window" | "summary", figures: MeterReport) =>
    output.out(
      options.json
        ? JSON.stringify({ kind, ...figures, lost: Number(subscription.gaps) })
        : `${
          kind === "summary"
            ? `summary: ${figures.entries} entries in ${
              figures.seconds.toFixed(1)
            } s  `
            : ""
        }${formatReport(figures, subscription.gaps)}`,
    );
  const ticker = meter &&
    setInterval(() => report("window", meter.window()), 1_000);
  let received = 0;
  try {
    if (options.count === 0) return 0;
    for await (const entry of subscription.entries(interrupt)) {
      if (meter !== undefined) {
        meter.add(entry.timestampNs, entry.payload.byteLength);
      } else {
        output.out(
          options.json
            ? stringifyJson({
              timestamp_ns: entry.timestampNs,
              seq: entry.seq,
              payload: payloadJson(manifest.payload, entry.payload),
            })
            : `${entry.timestampNs} ${
              isoNs(entry.timestampNs)
            } seq=${entry.seq} ${
              summarizePayload(
                manifest.payload,
                entry.payload,
                sensor ?? undefined,
              )
            }`,
        );
      }
      if (++received === options.count) {
        subscription.close();
        return 0;
      }
    }
  } catch (error) {
    if (!interrupt.aborted) throw error;
  } finally {
    clearInterval(ticker);
    if (meter !== undefined) report("summary", meter.total());
  }
  if (interrupt.aborted) {
    subscription.close();
    return 0;
  }
  const end = subscription.end!;
  if (end.kind === "closed") return 0;
  output.err(
    `auki-edge subscribe: the stream ended with ${snakeCase(end.kind)}${
      end.detail ? ` (${end.detail})` : ""
    }`,
  );
  return end.kind === "connectionLost" || end.kind === "producerError" ? 1 : 0;
}

/** Renders a UTC nanosecond timestamp as ISO 8601 with nine fraction digits. */
export function isoNs(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const fraction = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n)
    .toString().padStart(9, "0");
  return new Date(Number(ms)).toISOString().replace(
    /\.\d{3}Z$/,
    `.${fraction}Z`,
  );
}
