/**
 * `auki-edge export` and `verify` as processes against a real agent: the
 * export taken while the agent records, read back with `@mcap/core` through
 * its index and by a full scan, the same range exported from the remote
 * peer's streams (in a cluster, and in an authenticated gen-B domain with
 * the auth flags), and the bad inputs.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  createFileRegistry,
  type DescMessage,
  fromBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import {
  type IReadable,
  McapIndexedReader,
  McapStreamReader,
  type TypedMcapRecords,
} from "@mcap/core";
import { requestResources } from "../../../agent/protocols/resources.ts";
import { loadOrCreateSeed } from "../../../agent/identity/seed_file.ts";
import { withClient } from "../../../cli/client.ts";
import {
  type AgentProcess,
  runCli,
  startAgent,
} from "../../../scripts/harness/agent_process.ts";
import { freePort } from "../../../scripts/harness/cluster.ts";
import {
  authFlags,
  FakeAukiServices,
} from "../../../scripts/harness/fake_auki_services.ts";
import { withDir } from "../../helpers/temp_dir.ts";
import { delay } from "../../helpers/wait.ts";

type Message = TypedMcapRecords["Message"];

function fileReadable(file: Deno.FsFile): IReadable {
  return {
    size: async () => BigInt((await file.stat()).size),
    read: async (offset, length) => {
      const out = new Uint8Array(Number(length));
      await file.seek(offset, Deno.SeekMode.Start);
      for (let n = 0; n < out.byteLength;) {
        const got = await file.read(out.subarray(n));
        if (got === null) throw new Error("short read");
        n += got;
      }
      return out;
    },
  };
}

/** The file's messages in file order (a full scan), and its channels. */
async function scan(path: string): Promise<{
  messages: Message[];
  channels: Map<number, TypedMcapRecords["Channel"]>;
}> {
  const reader = new McapStreamReader({ validateCrcs: true });
  reader.append(await Deno.readFile(path));
  const messages: Message[] = [];
  const channels = new Map<number, TypedMcapRecords["Channel"]>();
  for (let r; (r = reader.nextRecord());) {
    if (r.type === "Message") messages.push(r);
    if (r.type === "Channel") channels.set(r.id, r);
  }
  assert(reader.done());
  return { messages, channels };
}

function key(m: Message): string {
  return `${m.channelId} ${m.logTime} ${
    createHash("sha256").update(m.data).digest("hex")
  }`;
}

function schemaOf(reader: McapIndexedReader, channelId: number): DescMessage {
  const channel = reader.channelsById.get(channelId)!;
  const schema = reader.schemasById.get(channel.schemaId)!;
  assert.equal(schema.encoding, "protobuf");
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, schema.data))
    .getMessage(schema.name)!;
}

/** The first of `messages` on `channelId`, and its payload decoded by the channel's schema. */
function firstDecoded<T>(
  reader: McapIndexedReader,
  messages: Message[],
  channelId: number,
): [Message, T] {
  const message = messages.find((m) => m.channelId === channelId)!;
  return [
    message,
    fromBinary(schemaOf(reader, channelId), message.data) as unknown as T,
  ];
}

/** Exports the second of `sim_joints` before `nowNs` from `agent` to `out`. */
function exportJointsSecond(
  out: string,
  agent: AgentProcess,
  seed: string,
  nowNs: bigint,
  extra: string[] = [],
) {
  return runCli([
    "export",
    out,
    "--peer",
    agent.address.toString(),
    "--seed",
    seed,
    "--resource",
    "sim_joints",
    "--from",
    String(nowNs - 1_000_000_000n),
    "--to",
    String(nowNs),
    ...extra,
  ]);
}

/** Asserts `out` holds over 10 messages, none after `nowNs`, and verifies. */
async function assertSecondExported(out: string, nowNs: bigint): Promise<void> {
  const { messages } = await scan(out);
  assert(messages.length > 10, `${messages.length} messages`);
  assert(messages.every((m) => m.logTime <= nowNs));
  assert.equal((await runCli(["verify", out])).code, 0);
}

Deno.test("export: a running agent's logs as an indexed, signed MCAP; the remote export of a range matches the local one", async () => {
  // Logs kept for a minute: both exports of the range run well after it, and
  // the camera's own 10 s window could evict it between them.
  const agent = await startAgent({
    config: {
      retention_s: 60,
      sensors: [
        { driver: "sim.camera", width: 320, height: 240 },
        { driver: "sim.lidar2d" },
        { driver: "sim.uwb" },
        { driver: "sim.joints" },
      ],
    },
  });
  try {
    await withDir(async (dir) => {
      await delay(4_000);
      const out = join(dir, "all.mcap");
      const exported = await runCli([
        "export",
        out,
        "--storage",
        agent.storage,
      ]);
      assert.equal(exported.code, 0, exported.stderr);
      assert.match(exported.stdout, new RegExp(`signed by ${agent.peerId}`));

      const rows = await withClient((node) =>
        requestResources(node, agent.address)
      );
      using file = await Deno.open(out, { read: true });
      const reader = await McapIndexedReader.Initialize({
        readable: fileReadable(file),
      });
      const byResource = new Map(
        [...reader.channelsById.values()].map((
          c,
        ) => [c.metadata.get("resource_id"), c]),
      );
      for (const row of rows) {
        assert(
          byResource.has(row.resource_id),
          `no channel for ${row.resource_id}`,
        );
      }
      const indexed: Message[] = [];
      for await (const m of reader.readMessages()) indexed.push(m);
      const full = await scan(out);
      assert.deepEqual(
        indexed.map(key),
        full.messages.map(key),
        "index and full scan differ",
      );
      assert.equal(reader.statistics?.messageCount, BigInt(indexed.length));
      for (let i = 1; i < indexed.length; i++) {
        assert(
          indexed[i - 1].logTime <= indexed[i].logTime,
          "not in log_time order",
        );
      }
      for (const row of rows) {
        const id = byResource.get(row.resource_id)!.id;
        const count = indexed.filter((m) => m.channelId === id).length;
        assert(count > 0, `${row.resource_id} has no messages`);
        assert(BigInt(count) <= row.available.entries + 200n);
      }

      const camera = byResource.get("sim_camera")!;
      assert.equal(
        reader.schemasById.get(camera.schemaId)!.name,
        "foxglove.RawImage",
      );
      const [frame, image] = firstDecoded<{
        width: number;
        height: number;
        step: number;
        data: Uint8Array;
        timestamp: { seconds: bigint; nanos: number };
      }>(reader, indexed, camera.id);
      assert.equal(image.data.byteLength, image.step * image.height);
      assert.equal(
        image.timestamp.seconds * 1_000_000_000n +
          BigInt(image.timestamp.nanos),
        frame.logTime,
      );
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      assert(
        frame.logTime > nowNs - 60_000_000_000n && frame.logTime <= nowNs,
        "UTC ns",
      );

      const lidar = byResource.get("sim_lidar")!;
      const [, cloud] = firstDecoded<{
        pointStride: number;
        data: Uint8Array;
      }>(reader, indexed, lidar.id);
      assert(
        cloud.data.byteLength > 0 &&
          cloud.data.byteLength % cloud.pointStride === 0,
      );
      const joints = byResource.get("sim_joints")!;
      const jointMessage = indexed.find((m) => m.channelId === joints.id)!;
      assert(
        Array.isArray(
          JSON.parse(new TextDecoder().decode(jointMessage.data)).anglesRad,
        ),
      );

      const verified = await runCli(["verify", out]);
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(
        verified.stdout,
        new RegExp(`intact, signed by ${agent.peerId}`),
      );

      // The same range from the peer's streams holds the same messages.
      const toNs = frame.logTime + 1_500_000_000n;
      const range = ["--from", String(frame.logTime), "--to", String(toNs)];
      const resources = ["--resource", "sim_camera", "--resource", "sim_lidar"];
      const seed = join(dir, "client.seed");
      await loadOrCreateSeed(seed);
      const remote = join(dir, "remote.mcap");
      const fromPeer = await runCli([
        "export",
        remote,
        "--peer",
        agent.address.toString(),
        "--seed",
        seed,
        ...resources,
        ...range,
      ]);
      assert.equal(fromPeer.code, 0, fromPeer.stderr);
      const local = join(dir, "local.mcap");
      const fromStorage = await runCli([
        "export",
        local,
        "--storage",
        agent.storage,
        ...resources,
        ...range,
      ]);
      assert.equal(fromStorage.code, 0, fromStorage.stderr);
      const [a, b] = [await scan(remote), await scan(local)];
      assert(a.messages.length > 10, `${a.messages.length} messages`);
      assert.deepEqual(a.messages.map(key), b.messages.map(key));
      assert.deepEqual(
        [...a.channels.values()].sort((x, y) => x.id - y.id).map((c) =>
          c.metadata.get("resource_id")
        ),
        ["sim_camera", "sim_lidar"],
      );
      assert.equal((await runCli(["verify", remote])).code, 0);
    });
  } finally {
    await agent.stop();
  }
});

Deno.test("export: unknown resource, empty range, unwritable path and a missing seed are one line and exit 2; verify refuses non-MCAP", async () => {
  const agent = await startAgent({ args: ["--sim", "joints"] });
  try {
    await withDir(async (dir) => {
      await delay(1_000);
      const cases: [string[], RegExp][] = [
        [[
          "export",
          join(dir, "a.mcap"),
          "--storage",
          agent.storage,
          "--resource",
          "nope",
        ], /unknown resource "nope"/],
        [[
          "export",
          join(dir, "a.mcap"),
          "--storage",
          agent.storage,
          "--from",
          "2001-01-01T00:00:00Z",
          "--to",
          "2001-01-02T00:00:00Z",
        ], /no entries between/],
        [
          [
            "export",
            join(dir, "missing", "a.mcap"),
            "--storage",
            agent.storage,
          ],
          /cannot write/,
        ],
        [["export", join(dir, "a.mcap"), "--storage", dir], /no seed at/],
        [[
          "export",
          join(dir, "a.mcap"),
          "--storage",
          agent.storage,
          "--from",
          "yesterday",
        ], /--from: "yesterday"/],
      ];
      for (const [args, message] of cases) {
        const result = await runCli(args);
        assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
        assert.match(result.stderr, message);
        assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
      }
      assert.deepEqual(
        [...Deno.readDirSync(dir)],
        [],
        "nothing is left behind",
      );
      await Deno.writeTextFile(join(dir, "notes.mcap"), "not an mcap file\n");
      const refused = await runCli(["verify", join(dir, "notes.mcap")]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /not an MCAP file/);
    });
  } finally {
    await agent.stop();
  }
});

Deno.test("export: from a peer in a cluster, joining it for the export", async () => {
  const port = freePort();
  const agent = await startAgent({
    args: [
      "--sim",
      "joints",
      "--embedded-discovery",
      `127.0.0.1:${port}`,
      "--cluster",
      "lab",
    ],
  });
  try {
    await withDir(async (dir) => {
      await delay(2_000);
      const seed = join(dir, "client.seed");
      await loadOrCreateSeed(seed);
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const out = join(dir, "cluster.mcap");
      const result = await exportJointsSecond(out, agent, seed, nowNs, [
        "--discovery",
        `http://127.0.0.1:${port}`,
        "--cluster",
        "lab",
      ]);
      assert.equal(result.code, 0, result.stderr);
      await assertSecondExported(out, nowNs);
    });
  } finally {
    await agent.stop();
  }
});

Deno.test("export: from a peer in an authenticated domain (gen B), with the auth flags", async () => {
  const fake = await FakeAukiServices.start();
  const domain = "de66fdf4-a830-4017-95dd-5741c30a6d0f";
  fake.domains.add(domain);
  await withDir(async (dir) => {
    const secret = join(dir, "app.secret");
    await Deno.writeTextFile(secret, fake.app.secret, { mode: 0o600 });
    const auth = authFlags(fake, domain, secret);
    const agent = await startAgent({ args: ["--sim", "joints", ...auth] });
    try {
      await agent.waitForStderr("p2p-access token for domain", 15_000);
      await delay(1_500);
      const seed = join(dir, "client.seed");
      await loadOrCreateSeed(seed);
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const out = join(dir, "domain.mcap");
      const result = await exportJointsSecond(out, agent, seed, nowNs, auth);
      assert.equal(result.code, 0, result.stderr);
      await assertSecondExported(out, nowNs);
      const reader = new McapStreamReader({ validateCrcs: true });
      reader.append(await Deno.readFile(out));
      const attachments: string[] = [];
      for (let r; (r = reader.nextRecord());) {
        if (r.type === "Attachment") attachments.push(r.name);
      }
      assert(
        attachments.some((name) => name.includes("sensor")),
        `the sensor entry over /auki/auth/1/registries: ${attachments}`,
      );
      // Without the auth flags the gen-B peer answers nothing.
      const plain = await exportJointsSecond(
        join(dir, "plain.mcap"),
        agent,
        seed,
        nowNs,
      );
      assert.notEqual(plain.code, 0);
    } finally {
      await agent.stop();
    }
  });
  await fake.stop();
});
