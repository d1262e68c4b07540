/**
 * End to end: a Discovery process and three `auki-edge run` processes on
 * loopback forming one cluster. Creation and joins (one of them in the JSON
 * wire encoding), one membership everywhere, members reading each other,
 * strangers refused, malformed and forged control frames dropped, the domain
 * clock against the machine's shared clocks, then kill -9 of the Manager
 * (failover, Discovery rotation, domain time continuity), the old Manager
 * rejoining, and kill -9 of a member (eviction).
 *
 * @module
 */
import assert from "node:assert/strict";
import { peerIdFromString } from "@libp2p/peer-id";
import { withClient } from "../../cli/client.ts";
import { parseJson, stringifyJson } from "../../core/codec/json.ts";
import {
  domainClockHash,
  domainClockId,
} from "../../agent/cluster/domain_clock.ts";
import { requestRegistryEntry } from "../../agent/protocols/registries.ts";
import { membershipJson } from "../../agent/cluster/membership.ts";
import { sendMembership } from "../../agent/cluster/membership_protocol.ts";
import { requestJoin } from "../../agent/cluster/join_protocol.ts";
import {
  DroppedRequestError,
  request,
} from "../../agent/protocols/exchange.ts";
import {
  HEARTBEAT,
  JOIN,
  MEMBERSHIP,
  RESOURCES,
} from "../../agent/protocols/ids.ts";
import { requestInfo } from "../../agent/protocols/info.ts";
import { RESOURCES_LIMITS } from "../../agent/protocols/resources.ts";
import { Subscription } from "../../agent/protocols/stream_consumer.ts";
import { runCli } from "../../scripts/harness/agent_process.ts";
import {
  asMember,
  catalogOf,
  type ClusterAgent,
  consistentMembership,
  infoOf,
  type Member,
  poll,
  rowOf,
  showLogs,
  spawnAgent,
  startDiscovery,
  stopAll,
  TempDirs,
} from "../../scripts/harness/cluster.ts";
import {
  abs,
  sessionOffset,
  timeEntries,
  type TimeEntry,
} from "../../scripts/harness/clock_offsets.ts";
import { collect, probe, textFrame } from "./_helpers.ts";

const CLUSTER = "lab";
const DOMAIN = domainClockId(CLUSTER);

/** The time transform logs of one agent, by kind. */
interface Clocks {
  /** Session clock id. */
  session: string;
  /** Session → UTC entries. */
  utc: TimeEntry[];
  /** Session → domain clock entries. */
  domain: TimeEntry[];
}

async function clocksOf(member: Member, agent: ClusterAgent): Promise<Clocks> {
  const info = await infoOf(member.node, agent);
  const session = info.session_clock_id;
  const utcId = `${session}->${session.replace(/\/monotonic$/, "/utc")}`;
  return {
    session,
    utc: await timeEntries(member.node, agent, utcId),
    domain: await timeEntries(member.node, agent, `${session}->${DOMAIN}`),
  };
}

/** `b.session - a.session`, with its error bound. */
function sessionDelta(a: Clocks, b: Clocks): { ns: bigint; boundNs: bigint } {
  return sessionOffset(a.utc, b.utc);
}

/**
 * Asserts every domain entry of `member` stamped within `[fromNs, toNs)` of
 * its session clock is within its claimed uncertainty of the truth: the
 * backing peer's session clock plus the declared backing offset.
 */
function assertDomainEntries(
  what: string,
  member: Clocks,
  backing: Clocks,
  backingOffsetNs: bigint,
  window: { fromNs?: bigint; toNs?: bigint } = {},
): number {
  const delta = sessionDelta(member, backing);
  const truth = delta.ns + backingOffsetNs;
  const entries = member.domain.filter((e) =>
    (window.fromNs === undefined || e.atNs >= window.fromNs) &&
    (window.toNs === undefined || e.atNs < window.toNs)
  );
  for (const e of entries) {
    const error = abs(e.offsetNs - truth);
    assert.ok(
      error <= e.uncertaintyNs + delta.boundNs,
      `${what}: entry at ${e.atNs} claims ${e.offsetNs} ± ${e.uncertaintyNs} ns, ` +
        `truth ${truth} ± ${delta.boundNs} ns (off by ${error} ns)`,
    );
  }
  return entries.length;
}

Deno.test("cluster: create, join, gate, bad frames, domain clock, failover, rejoin, eviction", async (t) => {
  const dirs = new TempDirs();
  const agents: ClusterAgent[] = [];
  const discovery = await startDiscovery(dirs);
  // Each step builds on the last: after a failure the rest are skipped.
  let failed = false;
  const step = async (name: string, fn: () => Promise<void>) => {
    if (!await t.step({ name, fn, ignore: failed })) failed = true;
  };
  const spawn = async (label: string, storage: string, args: string[] = []) => {
    const agent = await spawnAgent({
      label,
      storage,
      discovery: discovery.url,
      cluster: CLUSTER,
      args,
    });
    agents.push(agent);
    return agent;
  };
  try {
    const storages = await Promise.all([1, 2, 3].map(() => dirs.make()));
    const a1 = await spawn("a1", storages[0]);
    let a2: ClusterAgent, a3: ClusterAgent;

    await step(
      "the first agent creates the cluster, two more join",
      async () => {
        const r1 = await a1.ready();
        assert.equal(r1.cluster, CLUSTER);
        assert.equal(r1.is_manager, true);
        a2 = await spawn("a2", storages[1]);
        const r2 = await a2.ready();
        // The third joins in the JSON era's encoding.
        a3 = await spawn("a3", storages[2], ["--wire-encoding", "json"]);
        const r3 = await a3.ready();
        assert.deepEqual([r2.cluster, r2.is_manager], [CLUSTER, false]);
        assert.deepEqual([r3.cluster, r3.is_manager], [CLUSTER, false]);
        assert.match(a1.stderr(), /created cluster "lab" as its Manager/);
        assert.match(a2.stderr(), /joined cluster "lab" \(2 members/);
        assert.match(a3.stderr(), /joined cluster "lab" \(3 members/);
      },
    );

    await step(
      "Discovery names the Manager and counts three peers",
      async () => {
        const row = await poll(
          "peer_count 3",
          async () => {
            const row = await rowOf(discovery.client, CLUSTER);
            return row?.peer_count === 3 ? row : undefined;
          },
        );
        assert.equal(row.manager_peer_id, a1.peerId);
        assert.deepEqual(row.manager_multiaddrs, [
          a1.address.toString().replace(`/p2p/${a1.peerId}`, ""),
        ]);
      },
    );

    await step(
      "every member holds the same membership, in admission order",
      async () => {
        const membership = await consistentMembership(
          [a1, a2, a3],
          CLUSTER,
          [a1.peerId, a2.peerId, a3.peerId],
        );
        assert.equal(membership.cluster_name, CLUSTER);
        assert.deepEqual(membership.peers.map((p) => p.peer_id), [
          a1.peerId,
          a2.peerId,
          a3.peerId,
        ]);
        for (const [i, agent] of [a1, a2, a3].entries()) {
          assert.deepEqual(membership.peers[i].multiaddrs, [
            agent.address.toString().replace(`/p2p/${agent.peerId}`, ""),
          ]);
        }
        const stamps = membership.peers.map((p) => p.join_ts_ns);
        assert.ok(stamps[0] < stamps[1] && stamps[1] < stamps[2], "join order");
        const now = BigInt(Date.now()) * 1_000_000n;
        assert.ok(stamps.every((s) => s > now - 120_000_000_000n && s <= now));
      },
    );

    await step(
      "a member reads every agent: info, catalog, stream",
      async () => {
        await asMember(discovery.url, CLUSTER, async (member) => {
          for (const agent of [a1, a2, a3]) {
            const info = await infoOf(member.node, agent);
            assert.equal(info.peer_id, agent.peerId);
            assert.equal(info.is_manager, agent === a1, agent.label);
            assert.equal(info.manager_peer_id, a1.peerId, agent.label);
            assert.notEqual(info.cluster_joined_at_ns, null, agent.label);
            const rows = await catalogOf(member.node, agent);
            const ids = rows.map((r) => r.resource_id);
            assert.ok(ids.includes("sim_joints"), `${agent.label}: ${ids}`);
            // Online once the first estimate exists (a heartbeat echo on followers).
            await poll(
              `${agent.label}'s domain time log`,
              async () =>
                (await catalogOf(member.node, agent)).some((r) =>
                    r.resource_id === `${info.session_clock_id}->${DOMAIN}` &&
                    r.variant === "time_transform_log"
                  )
                  ? true
                  : undefined,
            );
            const sub = await Subscription.open(member.node, agent.address, {
              resourceId: "sim_joints",
            }, { timeoutMs: 10_000 });
            try {
              await collect(sub, 3);
            } finally {
              sub.close();
            }
          }
          // The member is in everyone's membership while it stays.
          await consistentMembership([a1, a2, a3], CLUSTER, [
            a1.peerId,
            a2.peerId,
            a3.peerId,
            member.peerId,
          ]);
        });
        // It is evicted once gone.
        await consistentMembership([a1, a2, a3], CLUSTER, [
          a1.peerId,
          a2.peerId,
          a3.peerId,
        ]);
      },
    );

    await step(
      "a stranger's requests are dropped; the cluster flags of catalog and subscribe work",
      async () => {
        await withClient(async (node) => {
          const stranger = node.peerId.toString();
          await assert.rejects(
            requestInfo(node, a2.address),
            DroppedRequestError,
          );
          await assert.rejects(
            request(
              node,
              a1.address,
              RESOURCES,
              new TextEncoder().encode("{}"),
              RESOURCES_LIMITS,
            ),
            DroppedRequestError,
          );
          await assert.rejects(
            Subscription.open(node, a3.address, { resourceId: "sim_joints" }, {
              timeoutMs: 10_000,
            }),
            DroppedRequestError,
          );
          await a2.waitForStderr(
            `dropped /auki/info/0.0.1 from ${stranger}: not a member of the cluster`,
          );
          await a1.waitForStderr(
            `dropped /auki/resources/0.2.0 from ${stranger}: not a member`,
          );
          await a3.waitForStderr(
            `dropped /auki/stream/0.2.0 from ${stranger}: not a member`,
          );
          // Join is the one protocol a stranger may speak: a member refuses it.
          await node.peerStore.merge(peerIdFromString(a2.peerId), {
            multiaddrs: [a2.address],
          });
          assert.deepEqual(
            await requestJoin(node, peerIdFromString(a2.peerId), [], {
              encoding: "protobuf",
            }),
            { kind: "reject", reason: "not the manager" },
          );
        });
        const catalog = await runCli([
          "catalog",
          a2.address.toString(),
          "--json",
          "--discovery",
          discovery.url,
          "--cluster",
          CLUSTER,
        ]);
        assert.equal(catalog.code, 0, catalog.stderr);
        const resources = (parseJson(catalog.stdout) as {
          resources: { resource_id: string; source_peer_id: string }[];
        }).resources;
        assert.ok(resources.some((r) => r.resource_id === "sim_joints"));
        assert.ok(resources.every((r) => r.source_peer_id === a2.peerId));
        const plain = await runCli(["catalog", a2.address.toString()]);
        assert.equal(plain.code, 1);
        assert.match(
          plain.stderr,
          /dropped the request.*--discovery URL --cluster NAME/,
        );
        const subscribe = await runCli([
          "subscribe",
          a3.address.toString(),
          "sim_joints",
          "--count",
          "2",
          "--discovery",
          discovery.url,
          "--cluster",
          CLUSTER,
        ]);
        assert.equal(subscribe.code, 0, subscribe.stderr);
        assert.equal(subscribe.stdout.trim().split("\n").length, 2);
        // A longer subscription through the Manager itself: the short-lived
        // member must stay a member (answer heartbeats) while it reads, and
        // never take the cluster over.
        const long = await runCli([
          "subscribe",
          a1.address.toString(),
          "sim_joints",
          "--count",
          "80",
          "--discovery",
          discovery.url,
          "--cluster",
          CLUSTER,
        ]);
        assert.equal(long.code, 0, long.stderr);
        assert.equal(long.stdout.trim().split("\n").length, 80);
        const clusters = await runCli([
          "clusters",
          "--discovery",
          discovery.url,
          "--json",
        ]);
        assert.equal(clusters.code, 0, clusters.stderr);
        const listed = (parseJson(clusters.stdout) as {
          clusters: { name: string; manager_peer_id: string }[];
        }).clusters;
        assert.deepEqual(
          listed.map((c) => [c.name, c.manager_peer_id]),
          [[CLUSTER, a1.peerId]],
        );
      },
    );

    await step(
      "malformed and forged control frames are dropped and logged; the cluster is unaffected",
      async () => {
        // Strangers: bad join bodies to the Manager, membership and heartbeat to anyone.
        await withClient(async (node) => {
          const stranger = node.peerId.toString();
          for (
            const body of [
              textFrame(`{"multiaddrs":1}`),
              textFrame("\x0a\x05ab"),
            ]
          ) {
            const result = await probe(node, a1.address, JOIN, body, {
              waitMs: 5_000,
            });
            assert.equal(result.received, 0, "no answer to a malformed join");
            assert.equal(result.end, "reset");
          }
          await a1.waitForStderr(
            new RegExp(
              `join from ${stranger} dropped: malformed JSON join request`,
            ),
          );
          await a1.waitForStderr(
            new RegExp(
              `join from ${stranger} dropped: malformed protobuf join request`,
            ),
          );
          const forged = textFrame(stringifyJson({
            manager_peer_id: stranger,
            membership_json: membershipJson({
              cluster_name: CLUSTER,
              peers: [{
                peer_id: stranger,
                multiaddrs: [],
                join_ts_ns: 1n,
              }],
            }),
          }));
          const m = await probe(node, a2.address, MEMBERSHIP, forged, {
            closeWrite: true,
          });
          assert.equal(m.end, "reset");
          await a2.waitForStderr(
            `dropped /auki/membership/0.0.1 from ${stranger}: not a member`,
          );
          for (const agent of [a1, a3]) {
            const hb = await probe(
              node,
              agent.address,
              HEARTBEAT,
              textFrame(`{"sent_at_unix_ns":1}`),
              { waitMs: 2_000 },
            );
            assert.equal(hb.received, 0, "no heartbeat for a stranger");
            assert.equal(hb.end, "reset");
            await agent.waitForStderr(
              `dropped /auki/heartbeat/0.0.1 from ${stranger}: not a member`,
            );
          }
        });
        // A member: malformed membership, a forged membership (it is not the
        // Manager) to the Manager, malformed heartbeats. (A member takes an
        // update from any member naming itself Manager, as Rust's "last
        // write wins": tests/agent/cluster/cluster_service_test.ts.)
        await asMember(discovery.url, CLUSTER, async (member) => {
          const all = [a1.peerId, a2.peerId, a3.peerId, member.peerId];
          await consistentMembership([a1, a2, a3], CLUSTER, all);
          const bad = await probe(
            member.node,
            a2.address,
            MEMBERSHIP,
            textFrame(`{"manager_peer_id":"${member.peerId}"}`),
            { closeWrite: true },
          );
          assert.equal(bad.end, "reset");
          await a2.waitForStderr(
            new RegExp(
              `membership update from ${member.peerId} dropped: .*membership_json`,
            ),
          );
          const forged = membershipJson({
            cluster_name: CLUSTER,
            peers: [
              { peer_id: member.peerId, multiaddrs: [], join_ts_ns: 1n },
              { peer_id: a2.peerId, multiaddrs: [], join_ts_ns: 2n },
              { peer_id: a3.peerId, multiaddrs: [], join_ts_ns: 3n },
            ],
          });
          await sendMembership(
            member.node,
            peerIdFromString(a1.peerId),
            member.peerId,
            forged,
          );
          await a1.waitForStderr(
            new RegExp(
              `membership update from ${member.peerId} dropped: .*is not the Manager \\(this peer is\\)`,
            ),
          );
          // A second heartbeat stream replaces the first: one malformed frame,
          // then an old build's frame, which keeps the member alive.
          for (const agent of [a2, a1]) {
            const hb = await probe(
              member.node,
              agent.address,
              HEARTBEAT,
              new Uint8Array([
                ...textFrame(`{"sequence":"one"}`),
                ...textFrame(`{"sent_at_unix_ns":1733836800000000000}`),
              ]),
              { waitMs: 700 },
            );
            assert.ok(hb.received > 0, `${agent.label} heartbeats a member`);
            await agent.waitForStderr(
              `dropped a malformed heartbeat frame from ${member.peerId}: sent_at_unix_ns: `,
            );
          }
          // Unaffected: the same Manager everywhere, the same membership.
          for (const agent of [a1, a2, a3]) {
            const info = await infoOf(member.node, agent);
            assert.equal(info.manager_peer_id, a1.peerId, agent.label);
            assert.equal(info.is_manager, agent === a1, agent.label);
          }
          await consistentMembership([a1, a2, a3], CLUSTER, all);
        });
        assert.equal(
          (await rowOf(discovery.client, CLUSTER))?.manager_peer_id,
          a1.peerId,
        );
        assert.doesNotMatch(a1.stderr(), /stepping down/);
      },
    );

    let before: Clocks[] = [];
    await step(
      "every member's domain time is within its uncertainty of the truth",
      async () => {
        await asMember(discovery.url, CLUSTER, async (member) => {
          // Followers log once their first heartbeat echo pairs up.
          await poll("three domain time entries on each member", async () => {
            const rows = await Promise.all(
              [a1, a2, a3].map((a) => catalogOf(member.node, a)),
            );
            return rows.every((r) =>
                r.some((row) =>
                  row.resource_id.endsWith(`->${DOMAIN}`) &&
                  row.available.entries >= 3n
                )
              )
              ? true
              : undefined;
          });
          before = [];
          for (const agent of [a1, a2, a3]) {
            before.push(await clocksOf(member, agent));
          }
          // The domain clock is no clock entry: a `clock` lookup of it
          // answers {"entry":null}, as on a Rust Manager.
          for (const agent of [a1, a2]) {
            assert.equal(
              await requestRegistryEntry(
                member.node,
                agent.address,
                "clock",
                domainClockId(CLUSTER),
                domainClockHash(CLUSTER),
              ),
              null,
            );
          }
        });
        const [c1, c2, c3] = before;
        // The creator backs the domain clock with offset 0, exactly.
        assert.ok(c1.domain.length >= 3);
        assert.ok(
          c1.domain.every((e) => e.offsetNs === 0n && e.uncertaintyNs === 0n),
          "the Manager's own domain time is its session clock",
        );
        for (const [what, c] of [["a2", c2], ["a3", c3]] as const) {
          const checked = assertDomainEntries(what, c, c1, 0n);
          assert.ok(checked >= 3, `${what}: ${checked} entries`);
          assert.ok(
            c.domain.every((e) =>
              e.uncertaintyNs > 0n && e.uncertaintyNs < 50_000_000n
            ),
            `${what}: uncertainties ${c.domain.map((e) => e.uncertaintyNs)}`,
          );
        }
      },
    );

    let manager2: ClusterAgent | undefined;
    await step(
      "kill -9 of the Manager: a new Manager within 12 s, Discovery rotated, one membership",
      async () => {
        await asMember(discovery.url, CLUSTER, async (member) => {
          await consistentMembership([a1, a2, a3], CLUSTER, [
            a1.peerId,
            a2.peerId,
            a3.peerId,
            member.peerId,
          ]);
          const killedAt = Date.now();
          await a1.kill();
          manager2 = await poll(
            "a survivor to report itself Manager",
            async () => {
              for (const agent of [a2, a3]) {
                const info = await requestInfo(member.node, agent.address);
                if (info.is_manager) return agent;
              }
            },
            12_000,
          );
          const row = await poll("Discovery to be rotated", async () => {
            const row = await rowOf(discovery.client, CLUSTER);
            return row?.manager_peer_id === manager2!.peerId ? row : undefined;
          }, 12_000 - (Date.now() - killedAt));
          const took = Date.now() - killedAt;
          assert.ok(took < 12_000, `failover took ${took} ms`);
          // The earliest survivor wins.
          assert.equal(manager2, a2);
          assert.deepEqual(row.manager_multiaddrs, [
            a2.address.toString().replace(`/p2p/${a2.peerId}`, ""),
          ]);
          await consistentMembership([a2, a3], CLUSTER, [
            a2.peerId,
            a3.peerId,
            member.peerId,
          ]);
          for (const agent of [a2, a3]) {
            const info = await requestInfo(member.node, agent.address);
            assert.equal(info.manager_peer_id, a2.peerId, agent.label);
            assert.equal(info.is_manager, agent === a2, agent.label);
          }
          // a3 noticed the loss itself, or heard of the new Manager first.
          assert.match(
            a3.stderr(),
            new RegExp(
              `lost the Manager ${a1.peerId}|Manager of "lab" is now ${a2.peerId}`,
            ),
          );
          assert.match(a2.stderr(), /this peer is now the Manager of "lab"/);
          assert.match(discovery.stderr(), /POST \/clusters\/lab\/manager 200/);
          await poll(
            "peer_count 3 after the failover",
            async () =>
              (await rowOf(discovery.client, CLUSTER))?.peer_count === 3
                ? true
                : undefined,
          );
        });
      },
    );

    await step(
      "domain time continues across the failover, backed by the new Manager",
      async () => {
        await asMember(discovery.url, CLUSTER, async (member) => {
          // a2 logs its own domain time (exactly, as Manager) and a3 has
          // logged twice more since a2 took over.
          const { c2, c3, own } = await poll(
            "domain time entries backed by a2",
            async () => {
              const c2 = await clocksOf(member, a2);
              const own = c2.domain.filter((e) => e.uncertaintyNs === 0n);
              if (own.length < 2) return undefined;
              const c3 = await clocksOf(member, a3);
              const since = own[0].atNs - sessionDelta(c3, c2).ns;
              return c3.domain.filter((e) => e.atNs > since).length >= 3
                ? { c2, c3, own }
                : undefined;
            },
            15_000,
          );
          const [c1Before, c2Before] = before;
          // a2 now declares its own session clock plus the backing offset it
          // had estimated; its own entries are that offset exactly.
          const backing = own.at(-1)!.offsetNs;
          assert.ok(own.every((e) => e.offsetNs === backing));
          // Continuity: the backing offset is a2's last estimate of a1's clock.
          const worst = c2Before.domain.reduce(
            (m, e) => e.uncertaintyNs > m ? e.uncertaintyNs : m,
            0n,
          );
          const delta = sessionDelta(c2, c1Before);
          assert.ok(
            abs(backing - delta.ns) <= worst + delta.boundNs,
            `backing offset ${backing} vs a1's clock ${delta.ns} ± ${
              worst + delta.boundNs
            }`,
          );
          // a3 tracks the new domain clock once it estimates a2's clock: a
          // second after a2 took over, every entry is backed by a2.
          const since = own[0].atNs - sessionDelta(c3, c2).ns;
          const checked = assertDomainEntries("a3 after", c3, c2, backing, {
            fromNs: since + 1_000_000_000n,
          });
          assert.ok(checked >= 1, "a3 has entries after the failover");
          // Before the failover (while a1 lived) a3 tracked a1's clock.
          const killed = assertDomainEntries("a3 before", c3, c1Before, 0n, {
            toNs: since - 2_000_000_000n,
          });
          assert.ok(killed >= 3, "a3's earlier entries are kept");
        });
      },
    );

    let a1b: ClusterAgent;
    await step(
      "the old Manager restarts with its storage and rejoins as a member",
      async () => {
        a1b = await spawn("a1 again", storages[0]);
        const ready = await a1b.ready();
        assert.equal(ready.peer_id, a1.peerId, "same seed, same peer");
        assert.equal(ready.is_manager, false);
        await consistentMembership([a2, a3, a1b], CLUSTER, [
          a2.peerId,
          a3.peerId,
          a1.peerId,
        ]);
        await asMember(discovery.url, CLUSTER, async (member) => {
          for (const agent of [a2, a3, a1b]) {
            const info = await infoOf(member.node, agent);
            assert.equal(info.manager_peer_id, a2.peerId, agent.label);
          }
        });
        assert.equal(
          (await rowOf(discovery.client, CLUSTER))?.manager_peer_id,
          a2.peerId,
        );
      },
    );

    await step(
      "kill -9 of a member: evicted, one membership again",
      async () => {
        await a3.kill();
        await consistentMembership([a2, a1b], CLUSTER, [a2.peerId, a1.peerId]);
        await a2.waitForStderr(
          new RegExp(`evicted ${a3.peerId}: no heartbeat`),
        );
        await poll(
          "peer_count 2",
          async () =>
            (await rowOf(discovery.client, CLUSTER))?.peer_count === 2
              ? true
              : undefined,
        );
        assert.equal(
          (await rowOf(discovery.client, CLUSTER))?.manager_peer_id,
          a2.peerId,
        );
      },
    );
  } finally {
    await stopAll(agents);
    await discovery.stop();
    if (failed) showLogs(agents, discovery);
    await dirs.remove();
  }
});

Deno.test("cluster: a Manager restarted at once rejoins; a reading member never takes over", async (t) => {
  const dirs = new TempDirs();
  const agents: ClusterAgent[] = [];
  const discovery = await startDiscovery(dirs);
  let failed = false;
  const step = async (name: string, fn: () => Promise<void>) => {
    if (!await t.step({ name, fn, ignore: failed })) failed = true;
  };
  const spawn = async (label: string, storage: string) => {
    const agent = await spawnAgent({
      label,
      storage,
      discovery: discovery.url,
      cluster: "quick",
    });
    agents.push(agent);
    await agent.ready();
    return agent;
  };
  try {
    const storages = [await dirs.make(), await dirs.make()];
    const c1 = await spawn("c1", storages[0]);
    const c2 = await spawn("c2", storages[1]);
    await asMember(discovery.url, "quick", async (member) => {
      await consistentMembership([c1, c2], "quick", [
        c1.peerId,
        c2.peerId,
        member.peerId,
      ]);
      await poll(
        "peer_count 3",
        async () =>
          (await rowOf(discovery.client, "quick"))?.peer_count === 3
            ? true
            : undefined,
      );

      await step(
        "the Manager killed and restarted at once rejoins the survivors",
        async () => {
          await c1.kill();
          // Restarted while Discovery still names it and the survivors have
          // not failed over yet.
          const again = await spawn("c1 again", storages[0]);
          assert.equal(again.peerId, c1.peerId);
          await consistentMembership([c2, again], "quick", [
            c2.peerId,
            member.peerId,
            c1.peerId,
          ]);
          for (const agent of [c2, again]) {
            const info = await infoOf(member.node, agent);
            assert.equal(info.manager_peer_id, c2.peerId, agent.label);
            assert.equal(info.is_manager, agent === c2, agent.label);
          }
          const row = await rowOf(discovery.client, "quick");
          assert.equal(row?.manager_peer_id, c2.peerId);
        },
      );

      await step(
        "a member paused past the heartbeat timeout is evicted, then rejoins as a member",
        async () => {
          const paused = agents.at(-1)!;
          const manager = c2;
          Deno.kill(paused.pid, "SIGSTOP");
          try {
            await manager.waitForStderr(
              new RegExp(`evicted ${paused.peerId}: no heartbeat`),
              15_000,
            );
          } finally {
            Deno.kill(paused.pid, "SIGCONT");
          }
          await consistentMembership([manager, paused], "quick", [
            manager.peerId,
            member.peerId,
            paused.peerId,
          ]);
          for (const agent of [manager, paused]) {
            const info = await infoOf(member.node, agent);
            assert.equal(info.manager_peer_id, manager.peerId, agent.label);
            assert.equal(info.is_manager, agent === manager, agent.label);
          }
          // Stable: nobody took the row over meanwhile, and it stays so.
          const until = Date.now() + 4_000;
          while (Date.now() < until) {
            assert.equal(
              (await rowOf(discovery.client, "quick"))?.manager_peer_id,
              manager.peerId,
            );
            await new Promise((r) => setTimeout(r, 250));
          }
          assert.doesNotMatch(paused.stderr(), /this peer is now the Manager/);
        },
      );

      await step(
        "a Manager paused past the timeout is replaced, then rejoins as a member",
        async () => {
          const [paused, other] = [c2, agents.at(-1)!];
          Deno.kill(paused.pid, "SIGSTOP");
          try {
            await poll("the other agent to take over", async () => {
              const info = await requestInfo(member.node, other.address);
              const row = await rowOf(discovery.client, "quick");
              return info.is_manager && row?.manager_peer_id === other.peerId
                ? true
                : undefined;
            }, 15_000);
          } finally {
            Deno.kill(paused.pid, "SIGCONT");
          }
          await paused.waitForStderr(
            new RegExp(
              `Discovery names ${other.peerId} Manager of "quick"; stepping down`,
            ),
          );
          await consistentMembership([other, paused], "quick", [
            other.peerId,
            member.peerId,
            paused.peerId,
          ]);
          for (const agent of [other, paused]) {
            const info = await infoOf(member.node, agent);
            assert.equal(info.manager_peer_id, other.peerId, agent.label);
            assert.equal(info.is_manager, agent === other, agent.label);
          }
          assert.equal(
            (await rowOf(discovery.client, "quick"))?.manager_peer_id,
            other.peerId,
          );
        },
      );

      await step(
        "with every agent killed, the member does not claim the cluster",
        async () => {
          await Promise.all(agents.map((a) => a.kill()));
          // It notices within 1.5 s; give it twice the sweep window.
          const until = Date.now() + 6_000;
          while (Date.now() < until) {
            const row = await rowOf(discovery.client, "quick");
            assert.notEqual(
              row?.manager_peer_id,
              member.peerId,
              "Discovery names a member nobody can dial",
            );
            await new Promise((r) => setTimeout(r, 200));
          }
          assert.equal(
            await rowOf(discovery.client, "quick"),
            undefined,
            "the row of a dead cluster is swept",
          );
        },
      );
    });
  } finally {
    await stopAll(agents);
    await discovery.stop();
    if (failed) showLogs(agents, discovery);
    await dirs.remove();
  }
});
