/**
 * `/metrics`: the agent's status as Prometheus families (see the README's
 * list): per sensor, per log, per subscription, libp2p, cluster, relays,
 * domain clock, event loop and process.
 *
 * @module
 */
import type { AgentStatus } from "../status_file.ts";
import { Exposition, type Labels } from "./exposition.ts";
import {
  BOOKING_STATES,
  type RelayBookingStatus,
} from "../genb/booking_status.ts";

const NS_PER_S = 1e9;
const RELAY_STATES = ["reserved", "reserving", "waiting"] as const;

/** The exposition text of `status`. */
export function metricsText(status: AgentStatus): string {
  const sensors = status.sensors;
  const bySensor = (value: (s: AgentStatus["sensors"][number]) => number) =>
    sensors.map((s) => [{ resource_id: s.id }, value(s)] as const);
  const byLog = (value: (r: AgentStatus["resources"][number]) => number) =>
    status.resources.map((
      r,
    ) => [{ resource_id: r.resource_id }, value(r)] as const);
  const cluster = status.cluster;
  const role = cluster === null
    ? "none"
    : cluster.is_manager
    ? "manager"
    : "member";
  const out = new Exposition()
    .family(
      "auki_edge_info",
      "gauge",
      "The agent's peer id (value 1).",
      [[{ peer_id: status.peer_id }, 1]],
    )
    .family(
      "auki_edge_sensor_samples_total",
      "counter",
      "Samples recorded per sensor since the agent started.",
      bySensor((s) => s.samples),
    )
    .family(
      "auki_edge_sensor_bytes_total",
      "counter",
      "Payload bytes recorded per sensor since the agent started.",
      bySensor((s) => s.bytes),
    )
    .family(
      "auki_edge_sensor_rate_hz",
      "gauge",
      "Samples per second recorded over the last second.",
      bySensor((s) => s.rate_hz),
    )
    .family(
      "auki_edge_sensor_expected_rate_hz",
      "gauge",
      "The sensor's nominal rate (0 when irregular).",
      bySensor((s) => s.expected_rate_hz),
    )
    .family(
      "auki_edge_sensor_errors_total",
      "counter",
      "Sensor errors: kind=read for failed reads the driver survived, kind=device for the device reported gone or failing (offline), kind=record for samples the log refused.",
      sensors.flatMap((s) =>
        [
          [{ resource_id: s.id, kind: "read" }, s.read_failures],
          [{ resource_id: s.id, kind: "device" }, s.device_errors],
          [{ resource_id: s.id, kind: "record" }, s.record_errors],
        ] as const
      ),
    )
    .family(
      "auki_edge_sensor_online",
      "gauge",
      "1 when the sensor produces (its catalog row is listed), else 0.",
      bySensor((s) => s.online ? 1 : 0),
    )
    .family(
      "auki_edge_log_entries",
      "gauge",
      "Entries retained on disk per served log.",
      byLog((r) => r.entries),
    )
    .family(
      "auki_edge_log_bytes",
      "gauge",
      "Payload bytes retained on disk per served log.",
      byLog((r) => r.bytes),
    )
    .family(
      "auki_edge_stream_subscribers",
      "gauge",
      "Open /auki/stream subscriptions per resource.",
      byLog((r) => r.subscribers),
    )
    .family(
      "auki_edge_stream_sent_bytes_total",
      "counter",
      "Bytes sent to subscribers per resource since the agent started.",
      byLog((r) => r.bytes_sent),
    )
    .family(
      "auki_edge_libp2p_connections",
      "gauge",
      "Open libp2p connections, direct or through a relay.",
      [
        [{ path: "direct" }, status.connections.direct],
        [{ path: "relayed" }, status.connections.relayed],
      ],
    )
    .family(
      "auki_edge_cluster_role",
      "gauge",
      "1 for this peer's cluster role: manager, member, or none (standalone or not joined).",
      (["manager", "member", "none"] as const).map((
        r,
      ) => [{ role: r }, r === role ? 1 : 0] as const),
    )
    .family(
      "auki_edge_cluster_members",
      "gauge",
      "Members of the cluster (0 when not a member).",
      cluster?.members ?? 0,
    )
    .family(
      "auki_edge_relay_reservation",
      "gauge",
      "1 for each relay reservation's state: source=configured for --relay relays (reserved, reserving, waiting), source=booking for the DMS relay booking (booking, waiting_for_slot, reserved, failed; relay empty until DMS assigns one).",
      [
        ...status.relays.flatMap((r) =>
          RELAY_STATES.map((state) =>
            [
              { relay: r.relay, source: "configured", state },
              r.state === state ? 1 : 0,
            ] as const
          )
        ),
        ...bookingSamples(status.relay_booking),
      ],
    )
    .family(
      "auki_edge_domain_clock_offset_seconds",
      "gauge",
      "Domain clock minus session clock, once estimated.",
      clockSample(status, (c) => Number(c.offset_ns)),
    )
    .family(
      "auki_edge_domain_clock_uncertainty_seconds",
      "gauge",
      "Uncertainty of the domain clock offset, once estimated.",
      clockSample(status, (c) => c.uncertainty_ns),
    )
    .family(
      "auki_edge_event_loop_lag_seconds",
      "gauge",
      "Worst lateness of a 100 ms timer over the last second.",
      status.process.event_loop_lag_seconds,
    )
    .family(
      "process_resident_memory_bytes",
      "gauge",
      "Resident memory size in bytes.",
      status.process.resident_memory_bytes,
    )
    .family(
      "process_cpu_seconds_total",
      "counter",
      "Total user and system CPU time spent in seconds.",
      status.process.cpu_seconds,
    )
    .family(
      "process_start_time_seconds",
      "gauge",
      "Start time of the process since unix epoch in seconds.",
      Math.round(Date.now() / 1000 - status.process.uptime_seconds),
    );
  return out.text();
}

/** The booking's reservation state, one sample per state. */
function bookingSamples(
  booking: RelayBookingStatus | null,
): (readonly [Labels, number])[] {
  if (booking === null) return [];
  return BOOKING_STATES.map((state) => [
    { relay: booking.relay ?? "", source: "booking", state },
    booking.state === state ? 1 : 0,
  ]);
}

function clockSample(
  status: AgentStatus,
  ns: (clock: NonNullable<AgentStatus["domain_clock"]>) => number,
): (readonly [Labels, number])[] {
  const clock = status.domain_clock;
  return clock === null ? [] : [[{}, ns(clock) / NS_PER_S]];
}
