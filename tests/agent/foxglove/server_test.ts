/**
 * The Foxglove WebSocket server of a real agent process, through the
 * protocol package's own client: channels per resource, messages decoded
 * against the advertised schemas, garbage answered, slow clients bounded.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  createFileRegistry,
  type DescMessage,
  fromBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import {
  type Channel,
  FOXGLOVE_SUBPROTOCOL,
  FoxgloveClient,
  type MessageData,
} from "../../../agent/foxglove/ws_protocol.ts";
import { runCli, startAgent } from "../../../scripts/harness/agent_process.ts";
import { withDir } from "../../helpers/temp_dir.ts";
import { delay, until } from "../../helpers/wait.ts";

/** The agent's ready file, parsed. */
async function readyInfo(storage: string): Promise<Record<string, unknown>> {
  for await (const item of Deno.readDir(storage)) {
    if (/^ready-.*\.json$/.test(item.name)) {
      return JSON.parse(await Deno.readTextFile(join(storage, item.name)));
    }
  }
  throw new Error(`no ready file in ${storage}`);
}

/** A connected client that records what the server sends. */
class Recorder {
  readonly client: FoxgloveClient;
  readonly channels = new Map<number, Channel>();
  readonly statuses: string[] = [];
  readonly messages: MessageData[] = [];
  readonly ws: WebSocket;

  constructor(url: string) {
    this.ws = new WebSocket(url, [FOXGLOVE_SUBPROTOCOL]);
    this.client = new FoxgloveClient({ ws: this.ws });
    this.client.on("advertise", (channels) => {
      for (const c of channels) this.channels.set(c.id, c);
    });
    this.client.on("status", (s) => this.statuses.push(s.message));
    this.client.on("message", (m) => this.messages.push(m));
  }

  channel(topicPart: string): Channel {
    const found = [...this.channels.values()].find((c) =>
      c.topic.includes(topicPart)
    );
    if (found === undefined) {
      throw new Error(
        `no channel for ${topicPart} in ${
          [...this.channels.values()].map((c) => c.topic)
        }`,
      );
    }
    return found;
  }

  close(): void {
    this.client.close();
  }
}

/** Decodes `data` with the message `schemaName` of a base64 FileDescriptorSet. */
function decoder(channel: Channel): DescMessage {
  const bytes = Uint8Array.from(atob(channel.schema), (c) => c.charCodeAt(0));
  const registry = createFileRegistry(
    fromBinary(FileDescriptorSetSchema, bytes),
  );
  const message = registry.getMessage(channel.schemaName);
  if (message === undefined) throw new Error(`no ${channel.schemaName}`);
  return message;
}

function bytesOf(message: MessageData): Uint8Array {
  const { buffer, byteOffset, byteLength } = message.data;
  return new Uint8Array(buffer, byteOffset, byteLength);
}

function residentBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** A WebSocket client that subscribes to `channelId` and then reads nothing. */
async function stalledClient(
  port: number,
  channelId: number,
): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const request = [
    "GET / HTTP/1.1",
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    `Sec-WebSocket-Protocol: ${FOXGLOVE_SUBPROTOCOL}`,
    "",
    "",
  ].join("\r\n");
  await conn.write(new TextEncoder().encode(request));
  const answer = new Uint8Array(4096);
  const n = await conn.read(answer);
  assert(
    new TextDecoder().decode(answer.subarray(0, n ?? 0)).startsWith(
      "HTTP/1.1 101",
    ),
  );
  const text = new TextEncoder().encode(JSON.stringify({
    op: "subscribe",
    subscriptions: [{ id: 1, channelId }],
  }));
  // A masked text frame (mask 0: the payload is sent as is).
  const frame = new Uint8Array(8 + text.byteLength);
  frame.set([0x81, 0x80 | 126, text.byteLength >> 8, text.byteLength & 255]);
  frame.set(text, 8);
  await conn.write(frame);
  return conn;
}

Deno.test("foxglove: camera and lidar channels decode against their advertised schemas; bad input is answered", async () => {
  const agent = await startAgent({
    args: [
      "--sim",
      "camera,rangefinder,uwb,joints",
      "--foxglove",
      "127.0.0.1:0",
    ],
  });
  const recorder = new Recorder(
    (await readyInfo(agent.storage)).foxglove as string,
  );
  try {
    await until(() => recorder.channels.size >= 4, "four channels", 15_000);
    const camera = recorder.channel("sim_camera");
    const lidar = recorder.channel("sim_lidar");
    const joints = recorder.channel("sim_joints");
    assert.equal(camera.schemaName, "foxglove.RawImage");
    assert.equal(camera.encoding, "protobuf");
    assert.equal(lidar.schemaName, "foxglove.PointCloud");
    assert.equal(joints.encoding, "json");
    assert.equal(JSON.parse(joints.schema).type, "object");

    // Plain HTTP is told to upgrade; garbage and unknown channels are
    // answered, and the server keeps serving.
    const plain = await fetch(recorder.ws.url.replace(/^ws:/, "http:"));
    assert.equal(plain.status, 426);
    await plain.body?.cancel();
    recorder.ws.send("{not json");
    recorder.ws.send(new Uint8Array([0xff, 1, 2, 3]));
    recorder.client.subscribe(987_654);
    await until(() => recorder.statuses.length >= 3, "three statuses", 15_000);

    const cameraSub = recorder.client.subscribe(camera.id);
    const lidarSub = recorder.client.subscribe(lidar.id);
    const of = (sub: number) =>
      recorder.messages.filter((m) => m.subscriptionId === sub);
    await until(
      () => of(cameraSub).length >= 2 && of(lidarSub).length >= 2,
      "camera and lidar messages",
      15_000,
    );
    assert(
      recorder.messages.every((m) =>
        m.subscriptionId === cameraSub || m.subscriptionId === lidarSub
      ),
      "messages only for subscribed channels",
    );
    const image = fromBinary(
      decoder(camera),
      bytesOf(of(cameraSub)[0]),
    ) as unknown as {
      width: number;
      height: number;
      step: number;
      encoding: string;
      data: Uint8Array;
      timestamp: { seconds: bigint; nanos: number };
    };
    assert(image.width > 0 && image.height > 0);
    assert.equal(image.encoding, "rgb8");
    assert.equal(image.data.byteLength, image.step * image.height);
    const logTime = of(cameraSub)[0].timestamp;
    assert.equal(
      image.timestamp.seconds * 1_000_000_000n + BigInt(image.timestamp.nanos),
      logTime,
    );
    const cloud = fromBinary(
      decoder(lidar),
      bytesOf(of(lidarSub)[0]),
    ) as unknown as {
      pointStride: number;
      fields: { name: string }[];
      data: Uint8Array;
    };
    assert(cloud.fields.some((f) => f.name === "x"));
    assert(cloud.data.byteLength > 0);
    assert.equal(cloud.data.byteLength % cloud.pointStride, 0);

    // Unsubscribed: the camera stops.
    recorder.client.unsubscribe(cameraSub);
    await delay(300);
    const seen = of(cameraSub).length;
    await delay(500);
    assert.equal(of(cameraSub).length, seen);
  } finally {
    recorder.close();
    assert.equal(await agent.stop(), 0);
  }
});

Deno.test("foxglove (from the config file): a client that reads nothing loses frames, the agent's memory stays bounded", async () => {
  const agent = await startAgent({
    args: ["--sim", "none"],
    config: {
      foxglove: "127.0.0.1:0",
      sensors: [{
        driver: "sim.camera",
        id: "big-camera",
        width: 1280,
        height: 720,
        rate_hz: 30,
      }],
    },
  });
  const url = (await readyInfo(agent.storage)).foxglove as string;
  const watcher = new Recorder(url);
  const stalled: Deno.TcpConn[] = [];
  try {
    await until(() => watcher.channels.size >= 1, "channels", 15_000);
    const camera = watcher.channel("big-camera");
    const port = Number(new URL(url).port);
    const before = residentBytes(agent.pid);
    for (let i = 0; i < 3; i++) {
      stalled.push(await stalledClient(port, camera.id));
    }
    const sub = watcher.client.subscribe(camera.id);
    // 1280x720 rgb8 at 30 Hz is 83 MB/s: unbounded queues would pass 1 GB.
    await delay(8_000);
    const grown = residentBytes(agent.pid) - before;
    assert(
      grown < 300 * 1024 * 1024,
      `resident memory grew ${(grown / 1024 / 1024).toFixed(0)} MiB`,
    );
    const received = watcher.messages.filter((m) => m.subscriptionId === sub);
    assert(received.length > 10, `the reading client got ${received.length}`);
  } finally {
    for (const conn of stalled) conn.close();
    watcher.close();
    assert.equal(await agent.stop(), 0);
  }
});

Deno.test("foxglove: a bad or busy address is one line naming it", async () => {
  const bad = await runCli(["run", "--sim", "none", "--foxglove", "nowhere"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--foxglove: "nowhere" is not HOST:PORT/);
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await withDir(async (storage) => {
    const { port } = busy.addr;
    const result = await runCli([
      "run",
      "--storage",
      storage,
      "--listen",
      "/ip4/127.0.0.1/tcp/0",
      "--sim",
      "none",
      "--foxglove",
      `127.0.0.1:${port}`,
    ]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr.trim().split("\n").at(-1)!,
      new RegExp(
        `^auki-edge run: Foxglove: cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} is already in use$`,
      ),
    );
  });
});
