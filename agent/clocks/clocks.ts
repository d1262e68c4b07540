/**
 * The agent's two clocks (spec cluster.md 7.2, datatypes.md section 6): the
 * session monotonic clock `<peer>/<session>/monotonic`, zero at start, and
 * the UTC clock `<peer>/<session>/utc`, which timestamps sensor samples.
 *
 * @module
 */
import type { ClockEntry, RegistryRef } from "../../core/registries/entries.ts";
import type { RegistryStore } from "../registries/store.ts";
import { monotonicNs, realtimeNs } from "../../core/clocks/system_time.ts";

/** A registered clock and how to read it. */
export interface Clock {
  /** The clock's registry entry. */
  entry: ClockEntry;
  /** Reference to the registered entry. */
  ref: RegistryRef;
  /** The current reading, ns. */
  now(): bigint;
}

/** The session and UTC clocks of one agent session. */
export interface AgentClocks {
  /** Monotonic, zero at session start, device-local. */
  session: Clock;
  /** The system UTC clock, global. */
  utc: Clock;
}

/** Registers the session's clocks in the registry and returns their readers. */
export async function registerClocks(
  store: RegistryStore,
  peerId: string,
  sessionId: string,
): Promise<AgentClocks> {
  const origin = monotonicNs();
  const sessionEntry: ClockEntry = {
    peer_id: peerId,
    session_id: sessionId,
    clock_id: `${peerId}/${sessionId}/monotonic`,
    type: "monotonic_clock",
    unit: "nanoseconds",
    monotonic: true,
    epoch: null,
    scope: "device-local",
  };
  const utcEntry: ClockEntry = {
    peer_id: peerId,
    session_id: sessionId,
    clock_id: `${peerId}/${sessionId}/utc`,
    type: "utc_clock",
    unit: "nanoseconds",
    monotonic: false,
    epoch: "1970-01-01T00:00:00Z",
    scope: "global",
  };
  return {
    session: {
      entry: sessionEntry,
      ref: await store.put("clock", sessionEntry),
      now: () => monotonicNs() - origin,
    },
    utc: {
      entry: utcEntry,
      ref: await store.put("clock", utcEntry),
      now: realtimeNs,
    },
  };
}
