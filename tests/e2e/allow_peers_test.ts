/**
 * End to end on loopback with real processes: a Manager with
 * `cluster.allow_peers` admits a listed peer and refuses a stranger with a
 * reason (the stranger exits saying why); a member enforcing a list drops
 * the gossip of a generation-A Manager that admitted a stranger.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrCreateSeed } from "../../agent/identity/seed_file.ts";
import { peerIdFromSeed } from "../../agent/identity/wallet.ts";
import {
  type ClusterAgent,
  LIGHT,
  showLogs,
  spawnAgent,
  startDiscovery,
  stopAll,
  TempDirs,
} from "../../scripts/harness/cluster.ts";

/** A fresh storage with its seed minted, and the peer id it gives. */
async function identity(
  dirs: TempDirs,
): Promise<{ storage: string; id: string }> {
  const storage = await dirs.make();
  const seed = await loadOrCreateSeed(join(storage, "identity.seed"));
  return { storage, id: (await peerIdFromSeed(seed)).toString() };
}

Deno.test("allow_peers: the Manager refuses joiners it does not list", async () => {
  const dirs = new TempDirs();
  const discovery = await startDiscovery(dirs);
  const agents: ClusterAgent[] = [];
  let ok = false;
  try {
    const [manager, friend, stranger] = await Promise.all(
      [1, 2, 3].map(() => identity(dirs)),
    );
    const closed = {
      ...LIGHT,
      cluster: { allow_peers: [manager.id, friend.id] },
    };
    const spawn = (label: string, who: { storage: string }, config: unknown) =>
      spawnAgent({
        label,
        storage: who.storage,
        discovery: discovery.url,
        cluster: "closed",
        config,
      }).then((agent) => (agents.push(agent), agent));
    await (await spawn("manager", manager, closed)).ready();
    await (await spawn("friend", friend, closed)).ready();
    const outsider = await spawn("stranger", stranger, LIGHT);
    assert.notEqual(await outsider.code(), 0);
    assert.match(
      outsider.stderr(),
      new RegExp(
        `refused to admit this peer: ${stranger.id} is not in the cluster's allow_peers`,
      ),
    );
    await agents[0].waitForStderr(
      `refused the join of ${stranger.id}: ${stranger.id} is not in the cluster's allow_peers`,
    );
    ok = true;
  } finally {
    if (!ok) showLogs(agents);
    await stopAll(agents);
    await discovery.stop();
    await dirs.remove();
  }
});

Deno.test("allow_peers: a member enforcing a list drops gossip admitting a stranger", async () => {
  const dirs = new TempDirs();
  const discovery = await startDiscovery(dirs);
  const agents: ClusterAgent[] = [];
  let ok = false;
  try {
    const [manager, member, stranger] = await Promise.all(
      [1, 2, 3].map(() => identity(dirs)),
    );
    const spawn = (label: string, who: { storage: string }, config: unknown) =>
      spawnAgent({
        label,
        storage: who.storage,
        discovery: discovery.url,
        cluster: "open",
        config,
      }).then((agent) => (agents.push(agent), agent));
    await (await spawn("manager", manager, LIGHT)).ready();
    const enforcing = await spawn("member", member, {
      ...LIGHT,
      cluster: { allow_peers: [manager.id, member.id] },
    });
    await enforcing.ready();
    await (await spawn("stranger", stranger, LIGHT)).ready();
    await enforcing.waitForStderr(
      new RegExp(
        `membership update from ${manager.id} dropped: it admits 1 peers outside this peer's allow_peers: ${stranger.id}`,
      ),
    );
    ok = true;
  } finally {
    if (!ok) showLogs(agents);
    await stopAll(agents);
    await discovery.stop();
    await dirs.remove();
  }
});
