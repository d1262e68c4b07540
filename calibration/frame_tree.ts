/**
 * The frame tree of a set of rigid transforms: each connected group of
 * frames hangs from a root (a frame that is never a transform's `from`,
 * else the alphabetically first), and every frame gets its composed
 * transform into the root, `p_root = R * p_frame + t`, edges being walked
 * forwards or inverted as needed.
 *
 * @module
 */
import { composeRigid, IDENTITY, invertRigid, type Rigid } from "./geometry.ts";

/** One transform `p_to = R * p_from + t`. */
export interface FrameEdge {
  /** The from-frame id. */
  from: string;
  /** The to-frame id. */
  to: string;
  /** The transform. */
  transform: Rigid;
}

/** One frame of the tree. */
export interface TreeNode {
  /** The frame id. */
  frame: string;
  /** Depth below its root (0 for a root). */
  depth: number;
  /** The frame's transform into its root. */
  toRoot: Rigid;
  /** Its parent in the tree, for all but roots. */
  parent?: string;
}

/** The frames of `edges` in depth-first order, each root followed by its subtree. */
export function frameTree(edges: readonly FrameEdge[]): TreeNode[] {
  const neighbours = new Map<string, { frame: string; toHere: Rigid }[]>();
  const link = (a: string, b: string, bToA: Rigid) => {
    if (!neighbours.has(a)) neighbours.set(a, []);
    neighbours.get(a)!.push({ frame: b, toHere: bToA });
  };
  for (const { from, to, transform } of edges) {
    link(to, from, transform);
    link(from, to, invertRigid(transform));
  }
  const frames = [...neighbours.keys()].sort();
  const froms = new Set(edges.map((e) => e.from));
  const roots = [
    ...frames.filter((f) => !froms.has(f)),
    ...frames.filter((f) => froms.has(f)),
  ];
  const placed = new Set<string>();
  const nodes: TreeNode[] = [];
  const visit = (node: TreeNode) => {
    placed.add(node.frame);
    nodes.push(node);
    const children = neighbours.get(node.frame)!
      .filter((n) => !placed.has(n.frame))
      .sort((a, b) => a.frame.localeCompare(b.frame));
    for (const child of children) {
      if (placed.has(child.frame)) continue;
      visit({
        frame: child.frame,
        depth: node.depth + 1,
        toRoot: composeRigid(node.toRoot, child.toHere),
        parent: node.frame,
      });
    }
  };
  for (const root of roots) {
    if (!placed.has(root)) visit({ frame: root, depth: 0, toRoot: IDENTITY });
  }
  return nodes;
}
