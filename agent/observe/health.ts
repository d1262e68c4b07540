/**
 * `/healthz`: healthy when every configured sensor is online, the agent
 * is serving (has an address peers can dial) and, when configured for a
 * cluster, is a member of it; otherwise each problem is named.
 *
 * @module
 */
import type { AgentStatus } from "../status_file.ts";

/** The `/healthz` body. */
export interface Health {
  /** `ok`, or `unhealthy` with the problems listed. */
  status: "ok" | "unhealthy";
  /** Whether peers can reach the agent (it has dialable addresses). */
  serving: boolean;
  /** The cluster the agent is configured for, and whether it is a member; null when standalone. */
  cluster: { name: string | null; member: boolean } | null;
  /** Every configured sensor's state. */
  sensors: { resource_id: string; online: boolean; reason: string | null }[];
  /** The offline sensors and why. */
  offline: { resource_id: string; reason: string }[];
  /** One line per problem; empty when healthy. */
  problems: string[];
}

/** The health of an agent with `status`; `clusterName` when it is configured for one. */
export function healthOf(
  status: AgentStatus,
  clusterName: string | undefined,
): Health {
  const offline = status.sensors.filter((s) => !s.online).map((s) => ({
    resource_id: s.id,
    reason: s.reason ?? "offline",
  }));
  const serving = status.multiaddrs.length > 0;
  const member = status.cluster !== null;
  const problems = offline.map((s) =>
    `sensor "${s.resource_id}" is offline: ${s.reason}`
  );
  if (!serving) problems.push("the agent has no address peers can dial");
  if (clusterName !== undefined && !member) {
    problems.push(`not a member of cluster "${clusterName}" yet`);
  }
  return {
    status: problems.length === 0 ? "ok" : "unhealthy",
    serving,
    cluster: clusterName === undefined
      ? null
      : { name: status.cluster?.name ?? clusterName, member },
    sensors: status.sensors.map((s) => ({
      resource_id: s.id,
      online: s.online,
      reason: s.reason,
    })),
    offline,
    problems,
  };
}
