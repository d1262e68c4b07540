/**
 * The cluster flags shared by `run`, `catalog` and `subscribe`, and the
 * short-lived membership the inspection commands take to reach a clustered
 * device (members drop every Auki protocol but join from strangers).
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { Backoff, sleep } from "../core/backoff.ts";
import { DiscoveryClient } from "../agent/cluster/discovery_client.ts";
import { isClusterName } from "../agent/cluster/discovery_types.ts";
import { ClusterService } from "../agent/cluster/cluster_service.ts";
import type { WireEncoding } from "../core/codec/wire_encoding.ts";
import { registerClocks } from "../agent/clocks/clocks.ts";
import { silentLogger } from "../core/logging.ts";
import { MembershipGate } from "../agent/protocols/gate.ts";
import { RegistryStore } from "../agent/registries/store.ts";
import { StreamDeclinedError } from "../agent/protocols/stream_consumer.ts";
import { flagValue, UsageError } from "./args.ts";

/** The flag definitions, for `parseCommand` options. */
export const CLUSTER_FLAGS = {
  discovery: { type: "string" },
  "discovery-token": { type: "string" },
  cluster: { type: "string" },
} as const;

/** Help lines of {@link CLUSTER_FLAGS}. */
export const CLUSTER_FLAGS_HELP =
  `  --discovery URL          Discovery server of the device's cluster
  --discovery-token TOKEN  bearer token for Discovery writes (sent with joins too)
  --cluster NAME           join this cluster as a short-lived member first`;

/** Validates a cluster name flag. */
export function parseClusterName(raw: string): string {
  if (!isClusterName(raw)) {
    throw new Error(
      `"${raw}" is not a cluster name (letters, digits, _ and -, 1 to 64)`,
    );
  }
  return raw;
}

/** Validates a Discovery URL flag. */
export function parseDiscoveryUrl(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`"${raw}" is not an http(s) URL`);
  }
  return raw;
}

/** The cluster a command should join first, if its flags name one. */
export function clusterOf(
  command: string,
  values: { discovery?: string; "discovery-token"?: string; cluster?: string },
): { discovery: string; token?: string; name: string } | undefined {
  if (values.discovery === undefined && values.cluster === undefined) {
    return undefined;
  }
  if (values.discovery === undefined) {
    throw new UsageError(`${command}: --cluster needs --discovery URL`);
  }
  if (values.cluster === undefined) {
    throw new UsageError(`${command}: --discovery needs --cluster NAME`);
  }
  return {
    discovery: flagValue(
      command,
      "discovery",
      values.discovery,
      parseDiscoveryUrl,
    ),
    token: values["discovery-token"],
    name: flagValue(command, "cluster", values.cluster, parseClusterName),
  };
}

/** A short-lived membership; {@link Membership.leave} ends it. */
export interface Membership {
  /** Leaves the cluster. */
  leave(): Promise<void>;
}

/** Joins `cluster` with the client node as a short-lived member. */
export async function joinAsMember(
  node: Libp2p,
  cluster: { discovery: string; token?: string; name: string },
  encoding?: WireEncoding,
): Promise<Membership> {
  const peerId = node.peerId.toString();
  const registry = new RegistryStore(peerId);
  const clocks = await registerClocks(registry, peerId, "cli");
  const service = new ClusterService({
    discovery: new DiscoveryClient(cluster.discovery, {
      authorization: cluster.token,
    }),
    name: cluster.name,
    target: "join",
    wireEncoding: encoding,
    authorization: cluster.token,
  }, {
    node,
    gate: new MembershipGate(silentLogger),
    clocks,
    advertised: () => [],
    logger: silentLogger,
  });
  // A member answers the Manager's heartbeats and takes its gossip, or it
  // is evicted (and cut off) 1.5 s after joining.
  await service.start();
  const leave = () => service.stop();
  service.afterStart();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      service.joined,
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`could not join cluster "${cluster.name}" within 15 s`),
            ),
          15_000,
        );
      }),
    ]);
  } catch (error) {
    await leave();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { leave };
}

/**
 * Runs `work`, retrying for a few seconds while the device has not yet
 * heard of this new member (the Manager's gossip takes a moment).
 */
export async function untilAdmitted<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 5_000;
  const backoff = new Backoff(250, 250);
  for (;;) {
    try {
      return await work();
    } catch (error) {
      // A decline is an answer: the device already admits this member.
      if (error instanceof StreamDeclinedError || Date.now() > deadline) {
        throw error;
      }
      await sleep(backoff.fail());
    }
  }
}
