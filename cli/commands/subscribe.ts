/**
 * `auki-edge subscribe MULTIADDR RESOURCE_ID`: read a stream over
 * `/auki/stream/0.2.0`, one line per entry.
 *
 * @module
 */
import { stringifyJson } from "../../core/codec/json.ts";
import type { ReadFrom } from "../../agent/logs/log.ts";
import { payloadJson, summarizePayload } from "../../agent/payloads.ts";
import {
  REGISTRIES_LIMITS,
  requestRegistryEntry,
} from "../../agent/protocols/registries.ts";
import {
  StreamDeclinedError,
  Subscription,
} from "../../agent/protocols/stream_consumer.ts";
import { snakeCase } from "../../agent/protocols/stream_messages.ts";
import { readSensorEntry } from "../../core/registries/sensor_reader.ts";
import { flagValue, parseCommand, parseCount, UsageError } from "../args.ts";
import {
  type Device,
  parseTarget,
  withDevice,
  withDomainClient,
} from "../client.ts";
import type { Stream } from "@libp2p/interface";
import { authRequest, openAuthenticated } from "../../agent/genb/client.ts";
import { AUTH_REGISTRIES_V2, AUTH_STREAM } from "../../agent/genb/ids.ts";
import { AUTH_FLAGS, AUTH_FLAGS_HELP, authSettingsOf } from "../auth_flags.ts";
import {
  CLUSTER_FLAGS,
  CLUSTER_FLAGS_HELP,
  clusterOf,
} from "../cluster_flags.ts";
import { type Output, STDIO } from "../output.ts";

const HELP = `Usage: auki-edge subscribe MULTIADDR RESOURCE_ID [options]

Subscribes to a resource over /auki/stream/0.2.0 and prints one line per entry:
timestamp (ns and UTC), seq and a payload summary.

Arguments:
  MULTIADDR          the peer, e.g. /ip4/192.168.1.20/tcp/4001/p2p/12D3KooW...
  RESOURCE_ID        a resource_id from its catalog

Options:
  --from POSITION    latest (default), start, or a timestamp in ns on the log's clock
  --count N          stop after N entries
  --source PEER_ID   the log's source peer (default: the peer dialled)
  --json             print each entry decoded as JSON
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
  const cluster = clusterOf("subscribe", values);
  const auth = await authSettingsOf("subscribe", values);
  const options = {
    resourceId: positionals[1],
    sourcePeerId: values.source,
    from,
    count,
    json: values.json ?? false,
  };
  if (auth === undefined) {
    return await withDevice(
      target,
      cluster,
      (device) => read(device, options, output),
    );
  }
  if (cluster !== undefined) {
    throw new UsageError(
      "subscribe: --domain: cluster flags and domain flags cannot be mixed",
    );
  }
  return await withDomainClient(
    auth,
    ({ node, authority }) =>
      read({ node, target, request: (work) => work() }, {
        ...options,
        openStream: (signal) =>
          openAuthenticated(node, target, AUTH_STREAM, authority, { signal }),
        sendRegistries: (body) =>
          authRequest(
            node,
            target,
            AUTH_REGISTRIES_V2,
            body,
            REGISTRIES_LIMITS,
            authority,
          ),
      }, output),
  );
}

async function read(
  { node, target, request }: Pick<Device, "node" | "target" | "request">,
  options: {
    resourceId: string;
    sourcePeerId?: string;
    from: ReadFrom;
    count?: number;
    json: boolean;
    openStream?: (signal: AbortSignal) => Promise<Stream>;
    sendRegistries?: (body: Uint8Array) => Promise<Uint8Array>;
  },
  output: Output,
): Promise<number> {
  let subscription: Subscription;
  try {
    subscription = await request(() =>
      Subscription.open(node, target, options, {
        openStream: options.openStream,
      })
    );
  } catch (error) {
    if (!(error instanceof StreamDeclinedError)) throw error;
    output.err(
      `auki-edge subscribe: "${options.resourceId}" ${error.message}`,
    );
    return 1;
  }
  const { manifest } = subscription;
  const sensor = manifest.sensorId === ""
    ? undefined
    : await requestRegistryEntry(
      node,
      target,
      "sensor",
      manifest.sensorId,
      manifest.sensorHash,
      options.sendRegistries,
    ).then((e) => e && readSensorEntry(e.entry)).catch(() => undefined);
  const stop = () => subscription.close();
  Deno.addSignalListener("SIGINT", stop);
  let received = 0;
  try {
    if (options.count === 0) return 0;
    for await (const entry of subscription.entries()) {
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
      if (++received === options.count) {
        subscription.close();
        return 0;
      }
    }
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
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
