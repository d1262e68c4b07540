/**
 * The membership gate and the gated request services between two real
 * nodes: open without an admission rule, closed to the peers the rule
 * refuses (their streams are aborted and the refusal is logged), and
 * removed by the service's stop.
 *
 * @module
 */
import assert from "node:assert/strict";
import { MembershipGate } from "../../../agent/protocols/gate.ts";
import { INFO } from "../../../agent/protocols/ids.ts";
import {
  infoService,
  type ParticipantInfo,
  requestInfo,
} from "../../../agent/protocols/info.ts";
import { withNodes } from "../cluster/_nodes.ts";
import { MemoryLogger } from "../../helpers/logger.ts";

function info(peerId: string): ParticipantInfo {
  return {
    app: "auki-edge",
    name: "gate-test",
    session_id: "session",
    session_clock_id: "session/clock",
    session_clock_hash: "0".repeat(32),
    session_now_ns: 1n,
    cluster_joined_at_ns: null,
    peer_id: peerId,
    app_instance: "000000000000",
    is_manager: false,
    manager_peer_id: "",
  };
}

Deno.test("gate: open without a rule, closed to refused peers, removed on stop", async () => {
  await withNodes(async (client, server) => {
    const logger = new MemoryLogger();
    const gate = new MembershipGate(logger);
    const service = infoService(
      { participantInfo: () => info(server.peerId.toString()) },
      { node: server, gate, logger },
    );
    await service.start();
    assert.ok(server.getProtocols().includes(INFO));
    const answer = await requestInfo(client, server.peerId);
    assert.equal(answer.peer_id, server.peerId.toString());

    gate.restrict((peer) => peer !== client.peerId.toString());
    assert.equal(gate.admits(client.peerId.toString()), false);
    await assert.rejects(requestInfo(client, server.peerId));
    assert.match(
      logger.lines.join("\n"),
      new RegExp(
        `dropped ${INFO} from ${client.peerId}: not a member of the cluster`,
      ),
    );

    gate.restrict(undefined);
    assert.equal(
      (await requestInfo(client, server.peerId)).peer_id,
      server.peerId.toString(),
    );
    await service.stop();
    assert.ok(!server.getProtocols().includes(INFO));
  });
});
