/**
 * `auki-edge frames MULTIADDR`: a peer's frame tree from its rigid pose logs
 * (static transforms), each frame with its composed transform into the root.
 *
 * @module
 */
import { fromBinary } from "@bufbuild/protobuf";
import { SpatialTransformSchema } from "../../core/proto/gen/auki/pose_pb.ts";
import { requestResources } from "../../agent/protocols/resources.ts";
import { RegistryRef } from "../../core/registries/entries.ts";
import { parseTarget, timedEntries, withDevice } from "../client.ts";
import { type FrameEdge, frameTree } from "../../calibration/frame_tree.ts";
import { rpyFromQuat } from "../../calibration/geometry.ts";
import { parseCommand } from "../args.ts";
import {
  CLUSTER_FLAGS,
  CLUSTER_FLAGS_HELP,
  clusterOf,
} from "../cluster_flags.ts";
import { type Output, STDIO } from "../output.ts";

const HELP = `Usage: auki-edge frames MULTIADDR [options]

Prints a peer's frame tree: every rigid pose_log (static transform) it
serves, composed along the tree. Each frame shows its transform into the
root, p_root = R * p_frame + t: t in the frames' units, R as a quaternion
(x, y, z, w) and as intrinsic Z-Y-X roll, pitch, yaw in degrees.

Options:
${CLUSTER_FLAGS_HELP}
  -h, --help   show this help
`;

/** Runs the frames command; returns the exit code. */
export async function framesCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values, positionals } = parseCommand({
    name: "frames",
    options: { ...CLUSTER_FLAGS },
    positionals: ["MULTIADDR"],
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const target = parseTarget("frames", positionals[0]);
  const edges = await withDevice(
    target,
    clusterOf("frames", values),
    async (device) => {
      const rows = await device.request(() =>
        requestResources(device.node, device.target, ["pose_log"])
      );
      const found: FrameEdge[] = [];
      for (const row of rows) {
        if (row.pose?.writer_mode !== "rigid") continue;
        const from = RegistryRef.parse(row.manifest.from_frame).id;
        const to = RegistryRef.parse(row.manifest.to_frame).id;
        const subscription = await device.subscribe(row.resource_id, {
          kind: "start",
        });
        for await (const entry of timedEntries(subscription, 5_000)) {
          const { translation, orientation } = fromBinary(
            SpatialTransformSchema,
            entry.payload,
          );
          found.push({
            from,
            to,
            transform: {
              translation: [
                translation?.x ?? 0,
                translation?.y ?? 0,
                translation?.z ?? 0,
              ],
              rotation: orientation
                ? [orientation.x, orientation.y, orientation.z, orientation.w]
                : [0, 0, 0, 1],
            },
          });
          break;
        }
      }
      return found;
    },
  );
  if (edges.length === 0) {
    output.out("no static transforms");
    return 0;
  }
  for (const node of frameTree(edges)) {
    const { translation: t, rotation: q } = node.toRoot;
    const rpy = rpyFromQuat(q).map((r) => (r * 180 / Math.PI).toFixed(2));
    const indent = "  ".repeat(node.depth);
    output.out(
      node.depth === 0
        ? node.frame
        : `${indent}${node.frame}  t [${
          t.map((v) => v.toFixed(4)).join(", ")
        }]  q [${q.map((v) => v.toFixed(4)).join(", ")}]  rpy [${
          rpy.join(", ")
        }]°`,
    );
  }
  return 0;
}
