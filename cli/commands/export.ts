/**
 * `auki-edge export OUT.mcap`: recorded logs as an indexed MCAP file with
 * Foxglove schemas, signed with the agent's peer key; from the local
 * storage (while the agent runs or not) or from a remote peer's streams.
 *
 * @module
 */
import { defaultSeedPath, defaultStorage } from "../../agent/config.ts";
import {
  type ExportResult,
  type ExportSource,
  writeExport,
} from "../../agent/export/export.ts";
import {
  ExportInputError,
  localSources,
} from "../../agent/export/local_sources.ts";
import { remoteSources } from "../../agent/export/remote_sources.ts";
import { SignedMcapWriter } from "../../agent/export/signed_writer.ts";
import { loadOrCreateSeed } from "../../agent/identity/seed_file.ts";
import {
  peerIdFromSeed,
  peerKeyFromSeed,
} from "../../agent/identity/wallet.ts";
import { errorMessage } from "../../core/logging.ts";
import { type Output, STDIO } from "../output.ts";
import { flagValue, parseCommand, UsageError } from "../args.ts";
import { parseTarget, withDevice, withDomainDevice } from "../client.ts";
import { AUTH_FLAGS, AUTH_FLAGS_HELP, peerAccessOf } from "../auth_flags.ts";
import { CLUSTER_FLAGS, CLUSTER_FLAGS_HELP } from "../cluster_flags.ts";
import { ProgressBar } from "../progress.ts";

const HELP = `Usage: auki-edge export OUT.mcap [options]

Writes recorded logs into an indexed MCAP file: one channel per resource with
Foxglove schemas (cameras as foxglove.RawImage or foxglove.CompressedImage,
2D lidars as foxglove.PointCloud, poses and static transforms as
foxglove.FrameTransform, the rest as JSON), log_time = the entry timestamp
(ns), the log manifests as metadata and the registry entries as attachments.
The file is signed with the agent's peer key; "auki-edge verify" checks it.

Local storage (the default; works while the agent runs):
  --storage DIR        the agent's storage (default: ~/.auki/auki-edge)
  --seed FILE          the agent's seed, whose key signs (default:
                       <storage>/identity.seed)
  --resource ID        export only this resource, repeatable (default: every
                       sensor, pose and time transform log of the agent)
  --from T             oldest entry: UTC ns or an ISO 8601 time (applies to
                       logs on the UTC clock; others are exported whole)
  --to T               newest entry, likewise (default: what is recorded now)

Remote peer (over /auki/stream/0.2.0, signed with the key of the local
--seed; "auki-edge identity --seed FILE" makes one on a machine without an
agent):
  --peer MULTIADDR     read the resources of this peer; needs --resource,
                       --from and --to
${CLUSTER_FLAGS_HELP}

Remote peer in an authenticated domain (generation B, instead of a cluster;
over /auki/auth/1/..., each stream with a p2p-access token of an ephemeral
client key):
${AUTH_FLAGS_HELP}
  -h, --help           show this help
`;

/** Parses a `--from`/`--to` time: UTC nanoseconds or an ISO 8601 time. */
export function parseTime(raw: string): bigint {
  if (/^\d+$/.test(raw)) return BigInt(raw);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(ms)) {
    throw new Error(`"${raw}" is not UTC nanoseconds or an ISO 8601 time`);
  }
  return BigInt(ms) * 1_000_000n;
}

/** Runs the export command; returns the exit code. */
export async function exportCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values, positionals } = parseCommand({
    name: "export",
    options: {
      storage: { type: "string" },
      seed: { type: "string" },
      resource: { type: "string", multiple: true },
      from: { type: "string" },
      to: { type: "string" },
      peer: { type: "string" },
      ...CLUSTER_FLAGS,
      ...AUTH_FLAGS,
    },
    positionals: ["OUT.mcap"],
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const out = positionals[0];
  const time = (flag: "from" | "to") =>
    values[flag] === undefined
      ? undefined
      : flagValue("export", flag, values[flag], parseTime);
  const fromNs = time("from");
  const toNs = time("to");
  if (fromNs !== undefined && toNs !== undefined && toNs < fromNs) {
    throw new UsageError("export: --to: is before --from");
  }
  const { cluster, auth } = await peerAccessOf("export", values);
  const resources = values.resource ?? [];
  const storage = values.storage ?? defaultStorage();
  const seedPath = values.seed ?? defaultSeedPath(storage);
  try {
    await Deno.stat(seedPath);
  } catch {
    throw new UsageError(
      `export: --seed: no seed at ${seedPath} (the export is signed with the agent's peer key)`,
    );
  }
  const seed = await loadOrCreateSeed(seedPath);
  const key = await peerKeyFromSeed(seed);
  const peerId = (await peerIdFromSeed(seed)).toString();
  let writer: SignedMcapWriter;
  try {
    writer = await SignedMcapWriter.create(out);
  } catch (error) {
    throw new UsageError(
      `export: ${out}: cannot write: ${errorMessage(error)}`,
    );
  }
  let result: ExportResult;
  try {
    const write = async (sources: ExportSource[], total: number) => {
      const bar = new ProgressBar(`export ${out}`, total);
      const result = await writeExport(writer, sources, (b) => bar.update(b));
      bar.finish();
      return result;
    };
    if (values.peer === undefined) {
      if (cluster !== undefined) {
        throw new UsageError("export: --cluster: only with --peer");
      }
      if (auth !== undefined) {
        throw new UsageError("export: --domain: only with --peer");
      }
      const sources = await localSources(storage, peerId, {
        resources,
        fromNs,
        toNs,
      });
      result = await write(
        sources,
        sources.reduce((sum, s) => sum + s.bytes, 0),
      );
    } else {
      const target = parseTarget("export", values.peer);
      if (
        resources.length === 0 || fromNs === undefined || toNs === undefined
      ) {
        throw new UsageError(
          "export: --peer: needs --resource, --from and --to",
        );
      }
      const selection = { resources, fromNs, toNs };
      result = auth === undefined
        ? await withDevice(
          target,
          cluster,
          async (device) =>
            await write(await remoteSources(device, selection), 0),
        )
        : await withDomainDevice(
          auth,
          target,
          async (device) =>
            await write(await remoteSources(device, selection), 0),
        );
    }
    if (result.messages === 0) {
      throw new UsageError(
        `export: no entries${
          fromNs === undefined && toNs === undefined
            ? ""
            : ` between ${values.from ?? "the start"} and ${values.to ?? "now"}`
        }; nothing written`,
      );
    }
    await writer.finish(key, peerId);
  } catch (error) {
    await writer.abort();
    if (error instanceof ExportInputError) {
      throw new UsageError(`export: ${error.message}`);
    }
    throw error;
  }
  output.out(
    `${out}: ${result.messages} messages on ${result.channels} channels (${
      (result.bytes / 1e6).toFixed(1)
    } MB of payloads), signed by ${peerId}`,
  );
  return 0;
}
