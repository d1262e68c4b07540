/**
 * Reaching an agent from a command: short-lived client nodes (an ephemeral
 * peer key, never the device's seed, no listeners), a short-lived cluster
 * membership with `--discovery`/`--cluster`, subscriptions and requests
 * retried while that membership settles, clear refusals, and the registry
 * entry of the sensor a stream records.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { createNode } from "../agent/node.ts";
import { UsageError } from "./args.ts";
import type { ReadFrom } from "../agent/logs/log.ts";
import { requestRegistryEntry } from "../agent/protocols/registries.ts";
import {
  type ReceivedEntry,
  StreamDeclinedError,
  Subscription,
} from "../agent/protocols/stream_consumer.ts";
import type { SensorEntry } from "../core/registries/entries.ts";
import { readSensorEntry } from "../core/registries/sensor_reader.ts";
import {
  type clusterOf,
  joinAsMember,
  untilAdmitted,
} from "./cluster_flags.ts";
import { errorMessage } from "../core/logging.ts";

/** Parses a MULTIADDR argument; a bad one is a usage error. */
export function parseTarget(command: string, text: string): Multiaddr {
  try {
    return multiaddr(text);
  } catch (error) {
    throw new UsageError(
      `${command}: MULTIADDR: "${text}" is not a multiaddr (${
        errorMessage(error)
      })`,
    );
  }
}

/** Runs `work` with a started client node, stopping it afterwards. */
export async function withClient<T>(
  work: (node: Libp2p) => Promise<T>,
): Promise<T> {
  const node = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
  });
  await node.start();
  try {
    return await work(node);
  } finally {
    await node.stop();
  }
}

/** A device reached by a client node. */
export interface Device {
  /** The client node. */
  node: Libp2p;
  /** The device's address. */
  target: Multiaddr;
  /** Opens a subscription, retrying while a new cluster membership settles. */
  subscribe(resourceId: string, from?: ReadFrom): Promise<Subscription>;
  /** Runs a request to a peer, retrying while a new cluster membership settles. */
  request<T>(work: () => Promise<T>): Promise<T>;
}

/** Runs `work` against the device at `target`, joining its cluster first when given. */
export function withDevice<T>(
  target: Multiaddr,
  cluster: ReturnType<typeof clusterOf>,
  work: (device: Device) => Promise<T>,
): Promise<T> {
  return withClient(async (node) => {
    const membership = cluster && await joinAsMember(node, cluster);
    const open = async (resourceId: string, from?: ReadFrom) => {
      try {
        return await Subscription.open(node, target, { resourceId, from });
      } catch (error) {
        if (!(error instanceof StreamDeclinedError)) throw error;
        throw new Error(
          error.reason === "sensorUnavailable"
            ? `"${resourceId}" is not streaming (the device is offline)`
            : error.reason === "sensorNotFound"
            ? `"${resourceId}" is not a resource of this device`
            : `"${resourceId}": ${error.message}`,
        );
      }
    };
    const request = <T>(work: () => Promise<T>) =>
      membership === undefined ? work() : untilAdmitted(work);
    try {
      return await work({
        node,
        target,
        subscribe: (resourceId, from) => request(() => open(resourceId, from)),
        request,
      });
    } finally {
      await membership?.leave();
    }
  });
}

/** The sensor registry entry a subscription's manifest names. */
export async function sensorOf(
  device: Device,
  subscription: Subscription,
): Promise<SensorEntry> {
  const { sensorId, sensorHash } = subscription.manifest;
  const fetched = await requestRegistryEntry(
    device.node,
    device.target,
    "sensor",
    sensorId,
    sensorHash,
  );
  if (fetched === null) {
    throw new Error(`the device does not serve sensor entry "${sensorId}"`);
  }
  return readSensorEntry(fetched.entry);
}

/**
 * The subscription's entries, each within `timeoutMs` of the previous one;
 * throws `not streaming` when one is late or the stream ends.
 */
export async function* timedEntries(
  subscription: Subscription,
  timeoutMs: number,
): AsyncGenerator<ReceivedEntry> {
  const id = subscription.manifest.resourceId;
  const iterator = subscription.entries();
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const next = await Promise.race([
        iterator.next(),
        new Promise<"late">((resolve) => {
          timer = setTimeout(() => resolve("late"), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (next === "late") {
        throw new Error(
          `"${id}" is not streaming: no entry within ${timeoutMs / 1000} s`,
        );
      }
      if (next.done) {
        throw new Error(
          `"${id}" stopped streaming (${subscription.end?.kind}${
            subscription.end?.detail ? `: ${subscription.end.detail}` : ""
          })`,
        );
      }
      yield next.value;
    }
  } finally {
    subscription.close();
  }
}
