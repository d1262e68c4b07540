/**
 * Reaching an agent from a command: short-lived client nodes (an ephemeral
 * peer key, never the device's seed, no listeners), a short-lived cluster
 * membership with `--discovery`/`--cluster`, subscriptions and requests
 * retried while that membership settles, clear refusals, and the registry
 * entry of the sensor a stream records.
 *
 * @module
 */
import type { Ed25519PrivateKey, Libp2p, Stream } from "@libp2p/interface";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { createNode } from "../agent/node.ts";
import { UsageError } from "./args.ts";
import type { ReadFrom } from "../agent/logs/log.ts";
import {
  REGISTRIES_LIMITS,
  requestRegistryEntry,
} from "../agent/protocols/registries.ts";
import type { ResourceEntry } from "../agent/catalog/resource_entry.ts";
import {
  authRequest,
  openAuthenticated,
  requestAuthResources,
} from "../agent/genb/client.ts";
import { AUTH_REGISTRIES_V2, AUTH_STREAM } from "../agent/genb/ids.ts";
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
import { Authority } from "../agent/genb/authority.ts";
import type { Bearer } from "../agent/genb/bearer_call.ts";
import { CredentialsClient } from "../agent/genb/credentials.ts";
import { KeyRing } from "../agent/genb/key_ring.ts";
import type { GenBSettings } from "../agent/genb/settings.ts";

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

/** Runs `work` with a started client node (and its key), stopping it afterwards. */
export async function withClient<T>(
  work: (node: Libp2p, privateKey: Ed25519PrivateKey) => Promise<T>,
): Promise<T> {
  const privateKey = await generateKeyPair("Ed25519");
  const node = await createNode({ privateKey, listen: [] });
  await node.start();
  try {
    return await work(node, privateKey);
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

/**
 * Opens a subscription to `resourceId` of the device at `target` (through
 * `openStream` when given, gen B); a declined one throws a plain message.
 */
async function openSubscription(
  node: Libp2p,
  target: Multiaddr,
  resourceId: string,
  from?: ReadFrom,
  openStream?: (signal: AbortSignal) => Promise<Stream>,
): Promise<Subscription> {
  try {
    return await Subscription.open(node, target, { resourceId, from }, {
      openStream,
    });
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
}

/** Runs `work` against the device at `target`, joining its cluster first when given. */
export function withDevice<T>(
  target: Multiaddr,
  cluster: ReturnType<typeof clusterOf>,
  work: (device: Device) => Promise<T>,
): Promise<T> {
  return withClient(async (node) => {
    const membership = cluster && await joinAsMember(node, cluster);
    const open = (resourceId: string, from?: ReadFrom) =>
      openSubscription(node, target, resourceId, from);
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

/** A client node in an authenticated domain, holding a p2p-access token. */
export interface DomainClient {
  /** The client node (an ephemeral key). */
  node: Libp2p;
  /** Its domain, token and keys: the party of every handshake. */
  authority: Authority;
  /**
   * The token as the bearer of DDS and DMS calls: a call refused with a
   * 401 fetches a fresh token and is made once more.
   */
  bearer: Bearer;
}

/**
 * Runs `work` with a client node of the gen-B domain in `settings`: an
 * ephemeral key, the DDS keys and a p2p-access token obtained for it.
 */
export function withDomainClient<T>(
  settings: GenBSettings,
  work: (client: DomainClient) => Promise<T>,
): Promise<T> {
  return withClient(async (node, privateKey) => {
    const authority = new Authority({
      domainId: settings.domainId,
      peerId: node.peerId.toString(),
      keys: new KeyRing(),
    });
    const credentials = new CredentialsClient({
      services: { api: settings.api, dds: settings.dds },
      credentials: { appKey: settings.appKey, appSecret: settings.appSecret },
      key: privateKey,
      peerId: node.peerId.toString(),
      domainId: settings.domainId,
    });
    await authority.keys.install(await credentials.verificationKeys());
    await authority.install((await credentials.p2pToken()).token);
    const renew = async (rejected: string, reason: string) => {
      const issued = await credentials.p2pToken().catch((error) => {
        throw new Error(
          `${reason}; renewing the p2p-access token failed: ${
            errorMessage(error)
          }`,
        );
      });
      await authority.install(issued.token);
      const token = authority.localToken();
      return token !== "" && token !== rejected;
    };
    const bearer = { token: () => authority.localToken(), renew };
    return await work({ node, authority, bearer });
  });
}

/** A device in an authenticated domain: every request and stream runs the token handshake. */
export interface DomainDevice extends Device {
  /** The client's domain, token and keys. */
  authority: Authority;
  /** The catalog rows over `/auki/auth/1/resources/0.2.0`. */
  resources(): Promise<ResourceEntry[]>;
  /** Sends a registries request over `/auki/auth/1/registries/0.2.0`. */
  sendRegistries(body: Uint8Array): Promise<Uint8Array>;
}

/** Runs `work` against the gen-B device at `target`, as a client of the domain in `settings`. */
export function withDomainDevice<T>(
  settings: GenBSettings,
  target: Multiaddr,
  work: (device: DomainDevice) => Promise<T>,
): Promise<T> {
  return withDomainClient(settings, ({ node, authority }) =>
    work({
      node,
      target,
      authority,
      request: (work) => work(),
      subscribe: (resourceId, from) =>
        openSubscription(
          node,
          target,
          resourceId,
          from,
          (signal) =>
            openAuthenticated(node, target, AUTH_STREAM, authority, {
              signal,
            }),
        ),
      resources: () => requestAuthResources(node, target, authority),
      sendRegistries: (body) =>
        authRequest(
          node,
          target,
          AUTH_REGISTRIES_V2,
          body,
          REGISTRIES_LIMITS,
          authority,
        ),
    }));
}
