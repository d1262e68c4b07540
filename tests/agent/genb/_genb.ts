/**
 * Helpers of the gen-B tests: libp2p nodes with given keys on loopback, an
 * authority (domain, token, key ring) for a node at a chosen time, one
 * kept by a supervisor against the fake services (alone or with the fake
 * services started around it), and a gen-B server serving fixed catalog
 * rows.
 *
 * @module
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type {
  Ed25519PrivateKey,
  Libp2p,
  PrivateKey,
  StreamHandler,
} from "@libp2p/interface";
import { createNode } from "../../../agent/node.ts";
import {
  AuthSupervisor,
  type SupervisorTiming,
} from "../../../agent/genb/auth_supervisor.ts";
import { Authority } from "../../../agent/genb/authority.ts";
import { CredentialsClient } from "../../../agent/genb/credentials.ts";
import type { Rows } from "../../../agent/genb/answers.ts";
import { genbService } from "../../../agent/genb/genb_service.ts";
import { KeyRing } from "../../../agent/genb/key_ring.ts";
import { MembershipGate } from "../../../agent/protocols/gate.ts";
import type { Service } from "../../../agent/protocols/service.ts";
import { RegistryStore } from "../../../agent/registries/store.ts";
import { MemoryLogger } from "../../helpers/logger.ts";
import {
  claimsFor,
  keyDocument,
  type SigningKey,
  signToken,
} from "../../../scripts/harness/genb_tokens.ts";
import { FakeAukiServices } from "../../../scripts/harness/fake_auki_services.ts";

/** The domain of the gen-B tests. */
export const DOMAIN = "de66fdf4-a830-4017-95dd-5741c30a6d0f";

/** A started node listening on loopback (or not at all). */
export async function startNode(
  privateKey?: PrivateKey,
  listen = true,
): Promise<Libp2p> {
  const node = await createNode({
    privateKey: privateKey ?? await generateKeyPair("Ed25519"),
    listen: listen ? ["/ip4/127.0.0.1/tcp/0"] : [],
  });
  await node.start();
  return node;
}

/** A clock the tests move: ms since the epoch. */
export class TestClock {
  /** The time now, ms. */
  ms: number;
  /** A clock at `ms`. */
  constructor(ms: number = Date.now()) {
    this.ms = ms;
  }
  /** The reading. */
  readonly now = (): number => this.ms;
}

/** A key ring holding `current` (and `previous`) installed at the clock's time. */
export async function ringOf(
  clock: TestClock,
  current: string,
  previous?: string,
): Promise<KeyRing> {
  const ring = new KeyRing();
  await ring.install(await keyDocument(1, current, previous), clock.ms);
  return ring;
}

/** An authority for `node` in {@link DOMAIN} with a token minted by `key` at the clock's time. */
export async function authorityFor(
  node: Libp2p,
  key: SigningKey,
  clock: TestClock,
  ring?: KeyRing,
): Promise<Authority> {
  const authority = new Authority(
    {
      domainId: DOMAIN,
      peerId: node.peerId.toString(),
      keys: ring ?? await ringOf(clock, key.pem),
    },
    clock.now,
  );
  await authority.install(
    await signToken(
      claimsFor(node.peerId.toString(), DOMAIN, Math.floor(clock.ms / 1000)),
      key.privateKey,
    ),
  );
  return authority;
}

/**
 * An authority for the peer of `key` in {@link DOMAIN}, kept by a started
 * supervisor signing in to `fake` as its app (fast retries).
 */
export function supervised(
  fake: FakeAukiServices,
  key: Ed25519PrivateKey,
  logger: MemoryLogger,
  timing: Partial<SupervisorTiming> = {},
): { authority: Authority; supervisor: AuthSupervisor } {
  const peerId = peerIdFromPrivateKey(key).toString();
  const authority = new Authority({
    domainId: DOMAIN,
    peerId,
    keys: new KeyRing(),
  });
  const supervisor = new AuthSupervisor({
    client: new CredentialsClient({
      services: { api: fake.url, dds: fake.url },
      credentials: { appKey: fake.app.key, appSecret: fake.app.secret },
      key,
      peerId,
      domainId: DOMAIN,
    }),
    authority,
    logger,
    timing: { minBackoffMs: 50, maxBackoffMs: 200, ...timing },
  });
  supervisor.start();
  return { authority, supervisor };
}

/**
 * Runs `fn` with started fake services admitting {@link DOMAIN} and a
 * started supervisor ({@link supervised}, fresh key) signing in to them;
 * stops both after.
 */
export async function withSupervised(
  fn: (
    fake: FakeAukiServices,
    supervisor: AuthSupervisor,
    authority: Authority,
    logger: MemoryLogger,
  ) => Promise<void>,
  timing: Partial<SupervisorTiming> = {},
): Promise<void> {
  const fake = await FakeAukiServices.start();
  fake.domains.add(DOMAIN);
  const logger = new MemoryLogger();
  const { authority, supervisor } = supervised(
    fake,
    await generateKeyPair("Ed25519"),
    logger,
    timing,
  );
  try {
    await fn(fake, supervisor, authority, logger);
  } finally {
    await supervisor.stop();
    await fake.stop();
  }
}

/** Starts the gen-B service on `node` serving `rows`; returns it and its log. */
export async function serveGenB(
  node: Libp2p,
  authority: Authority,
  rows: Rows = () => [],
  stream: StreamHandler = (s) => s.abort(new Error("no streams here")),
): Promise<{ service: Service; logger: MemoryLogger }> {
  const logger = new MemoryLogger();
  const service = genbService(
    {
      authority,
      participantInfo: () => ({
        app: "auki-edge",
        name: "genb-test",
        session_id: "session",
        session_clock_id: "session/clock",
        session_clock_hash: "0".repeat(32),
        session_now_ns: 1n << 60n,
        cluster_joined_at_ns: null,
        peer_id: node.peerId.toString(),
        app_instance: "000000000000",
        is_manager: false,
        manager_peer_id: "",
      }),
      rows,
      registry: new RegistryStore(node.peerId.toString()),
      stream,
    },
    { node, gate: new MembershipGate(logger), logger },
  );
  await service.start();
  return { service, logger };
}
