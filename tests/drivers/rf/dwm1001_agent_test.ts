/**
 * End to end: a real `auki-edge run` process with a `serial.dwm1001` tag on
 * a socat pty pair fed by the DWM1001 simulator. The agent serves the UWB
 * sensor log and, beside it, the movable `pose_log` of the tag frame in the
 * UWB area frame: its catalog row has the spec's pose_log shape and
 * resolvable references, its stream manifest carries the frame pair, its
 * entries are the positions the tag reported, and it leaves the catalog
 * with the sensor when the device is unplugged.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import type { Libp2p } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { withClient } from "../../../cli/client.ts";
import type { ResourceEntry } from "../../../agent/catalog/resource_entry.ts";
import { parseJson } from "../../../core/codec/json.ts";
import { request } from "../../../agent/protocols/exchange.ts";
import { REGISTRIES } from "../../../agent/protocols/ids.ts";
import { REGISTRIES_LIMITS } from "../../../agent/protocols/registries.ts";
import { Subscription } from "../../../agent/protocols/stream_consumer.ts";
import { SpatialTransformSchema } from "../../../core/proto/gen/auki/pose_pb.ts";
import { UwbFrameSchema } from "../../../core/proto/gen/auki_edge/rf_pb.ts";
import { FrameEntry, RegistryRef } from "../../../core/registries/entries.ts";
import { DWM1001_BAUD } from "../../../drivers/rf/dwm1001.ts";
import type { DwmPosition } from "../../../drivers/rf/dwm1001_protocol.ts";
import { Dwm1001Sim } from "../../../drivers/rf/dwm1001_device_sim.ts";
import { SimulatedPort } from "../../../drivers/serial/device_sim_port.ts";
import { startAgent } from "../../../scripts/harness/agent_process.ts";
import { collect } from "../../e2e/_helpers.ts";
import { requestResources } from "../../../agent/protocols/resources.ts";
import { ptyTest, withPair } from "../../helpers/serial.ts";

const POSE_ID = "uwb_area->tag_link";

/** Polls the catalog until `match` holds for its rows. */
async function catalogUntil(
  node: Libp2p,
  target: Multiaddr,
  match: (rows: ResourceEntry[]) => boolean,
  what: string,
): Promise<ResourceEntry[]> {
  const until = Date.now() + 10_000;
  for (;;) {
    const rows = await requestResources(node, target);
    if (match(rows)) return rows;
    if (Date.now() > until) throw new Error(`catalog: ${what} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The frame registry entry `ref` names, as the agent serves it. */
async function frameEntry(
  node: Libp2p,
  target: Multiaddr,
  ref: RegistryRef,
): Promise<FrameEntry> {
  const response = await request(
    node,
    target,
    REGISTRIES,
    new TextEncoder().encode(
      JSON.stringify({ kind: "frame", id: ref.id, hash: ref.hash }),
    ),
    REGISTRIES_LIMITS,
  );
  const { entry } = parseJson(new TextDecoder().decode(response)) as {
    entry: { canonical_json: string } | null;
  };
  assert.ok(entry, `frame ${ref.id} resolves`);
  return FrameEntry.parse(parseJson(entry.canonical_json));
}

ptyTest(
  "agent: a DWM1001 tag serves its UWB log and a movable pose_log of the tag in the area",
  async () => {
    await withPair(async (pair) => {
      const sim = new Dwm1001Sim({ positionNoiseMm: 15, rangeNoiseMm: 20 });
      const sent: DwmPosition[] = [];
      sim.onAnswer = (location) => sent.push(location.position);
      const port = new SimulatedPort({
        path: pair.device,
        baudRate: DWM1001_BAUD,
        source: sim,
        peer: pair.host,
      });
      port.start();
      const agent = await startAgent({
        config: {
          sensors: [{
            driver: "serial.dwm1001",
            id: "tag",
            port: pair.host,
            rate_hz: 20,
          }],
        },
      });
      try {
        await withClient(async (node) => {
          const target = agent.address;
          const rows = await catalogUntil(
            node,
            target,
            (rows) => rows.some((r) => r.resource_id === POSE_ID),
            "the pose_log row",
          );
          const sensorRow = rows.find((r) => r.resource_id === "tag")!;
          const poseRow = rows.find((r) => r.resource_id === POSE_ID)!;
          assert.equal(sensorRow.variant, "sensor_log");
          assert.equal(
            `${sensorRow.sensor?.kind}/${sensorRow.sensor?.type}`,
            "rf/uwb",
          );
          assert.equal(poseRow.variant, "pose_log");
          assert.deepEqual(poseRow.pose, { writer_mode: "movable" });
          assert.equal(poseRow.sensor, undefined);
          assert.equal(poseRow.source_peer_id, agent.peerId);
          assert.equal(poseRow.writer_peer_id, agent.peerId);
          assert.equal(poseRow.state, "live");
          assert.equal(poseRow.head?.kind, "rolling");
          assert.deepEqual(Object.keys(poseRow.manifest).sort(), [
            "clock",
            "expected_rate_hz",
            "from_frame",
            "source",
            "to_frame",
          ]);
          const from = RegistryRef.parse(poseRow.manifest.from_frame);
          const to = RegistryRef.parse(poseRow.manifest.to_frame);
          const clock = RegistryRef.parse(poseRow.manifest.clock);
          assert.deepEqual(from, sensorRow.manifest.frame, "the area frame");
          assert.deepEqual(clock, sensorRow.manifest.clock);
          assert.equal(to.id, "tag_link");
          assert.deepEqual(poseRow.manifest.source, { kind: "manual" });
          assert.equal(poseRow.manifest.expected_rate_hz, 20);
          const tagFrame = await frameEntry(node, target, to);
          assert.equal(tagFrame.frame_id, "tag_link");
          assert.equal(tagFrame.peer_id, agent.peerId);
          assert.deepEqual(tagFrame.axes, { x: "forward", y: "left", z: "up" });
          assert.equal(
            (await frameEntry(node, target, from)).frame_id,
            "uwb_area",
          );

          const poses = await Subscription.open(node, target, {
            resourceId: POSE_ID,
            from: { kind: "latest" },
          }, { timeoutMs: 10_000 });
          const m = poses.manifest;
          assert.equal(m.resourceId, POSE_ID);
          assert.equal(m.payload, "spatial_transform");
          assert.equal(m.fromFrameId, "uwb_area");
          assert.equal(m.fromFrameHash, from.hash);
          assert.equal(m.toFrameId, "tag_link");
          assert.equal(m.toFrameHash, to.hash);
          assert.equal(m.writerMode, "movable");
          assert.equal(m.expectedRateHz, 20);
          assert.equal(m.clockId, clock.id);
          assert.equal(m.clockHash, clock.hash);
          assert.equal(m.clockPeerId, clock.peer_id);
          assert.equal(m.sensorId, "");
          assert.equal(m.frameId, "");
          const positions = new Set(
            sent.map((p) => `${p.x / 1000},${p.y / 1000},${p.z / 1000}`),
          );
          const poseEntries = await collect(poses, 10);
          for (const entry of poseEntries) {
            const { translation, orientation } = fromBinary(
              SpatialTransformSchema,
              entry.payload,
            );
            const key = `${translation?.x},${translation?.y},${translation?.z}`;
            assert.ok(
              sent.some((p) =>
                `${p.x / 1000},${p.y / 1000},${p.z / 1000}` === key
              ),
              `pose ${key} was reported by the tag`,
            );
            assert.deepEqual(
              [orientation?.x, orientation?.y, orientation?.z, orientation?.w],
              [0, 0, 0, 1],
            );
          }
          assert.ok(positions.size > 0);

          // Each pose is the position of a UWB entry with the same timestamp.
          const uwb = await Subscription.open(node, target, {
            resourceId: "tag",
            from: { kind: "start" },
          }, { timeoutMs: 10_000 });
          const frames = new Map(
            (await collect(uwb, 30)).map((e) => {
              const p = fromBinary(UwbFrameSchema, e.payload).position!;
              return [e.timestampNs, `${p.x},${p.y},${p.z}`];
            }),
          );
          await uwb.close();
          const matched = poseEntries.filter((e) => {
            const t = fromBinary(SpatialTransformSchema, e.payload).translation;
            return frames.get(e.timestampNs) === `${t?.x},${t?.y},${t?.z}`;
          });
          assert.ok(matched.length >= 1, "poses share the UWB entries' times");

          await pair.unplug("SIGKILL");
          for await (const _ of poses.entries(AbortSignal.timeout(5_000))) {
            // drain until the end
          }
          assert.equal(poses.end?.kind, "sourceEnded");
          await catalogUntil(
            node,
            target,
            (rows) => !rows.some((r) => r.resource_id === POSE_ID),
            "the pose_log row gone",
          );
        });
      } finally {
        await agent.stop();
        await port.stop();
      }
    });
  },
);
