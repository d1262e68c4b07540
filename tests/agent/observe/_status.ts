/**
 * A synthetic agent status for the health and metrics tests: two sensors
 * (one offline), two logs, a cluster, a relay and a domain clock.
 *
 * @module
 */
import type { AgentStatus } from "../../../agent/status_file.ts";

/** The status, with `patch` applied on top. */
export function statusWith(patch: Partial<AgentStatus> = {}): AgentStatus {
  return {
    pid: 1,
    peer_id: "12D3KooWpeer",
    multiaddrs: ["/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWpeer"],
    cluster: {
      name: "lab",
      is_manager: false,
      manager_peer_id: "12D3KooWmanager",
      members: 3,
    },
    relays: [{
      relay: "/ip4/10.0.0.1/tcp/4002/p2p/12D3KooWrelay",
      state: "waiting",
      circuits: [],
      error: "refused",
    }],
    relay_booking: null,
    sensors: [
      {
        id: "cam",
        read_failures: 0,
        last_read_failure: null,
        kind: "camera",
        type: "rgb",
        online: true,
        reason: null,
        expected_rate_hz: 30,
        rate_hz: 29.5,
        bytes_per_second: 1e6,
        samples: 300,
        bytes: 1e7,
        record_errors: 0,
        device_errors: 0,
      },
      {
        id: 'odd "id"',
        read_failures: 4,
        last_read_failure: "checksum mismatch",
        kind: "rangefinder",
        type: "2d_lidar",
        online: false,
        reason: "device unplugged",
        expected_rate_hz: 10,
        rate_hz: 0,
        bytes_per_second: 0,
        samples: 5,
        bytes: 500,
        record_errors: 1,
        device_errors: 2,
      },
    ],
    resources: [
      {
        resource_id: "cam",
        variant: "sensor_log",
        kind: "camera/rgb",
        payload: "camera_frame",
        online: true,
        entries: 90,
        bytes: 3e6,
        rate_hz: 29.5,
        bytes_per_second: 1e6,
        subscribers: 2,
        bytes_sent: 4e6,
      },
    ],
    connections: { direct: 2, relayed: 1 },
    members: ["12D3KooWmanager", "12D3KooWpeer", "12D3KooWother"],
    domain_clock: { offset_ns: "1500000", uncertainty_ns: 20_000 },
    process: {
      resident_memory_bytes: 123_456_789,
      cpu_seconds: 12.5,
      uptime_seconds: 60,
      event_loop_lag_seconds: 0.002,
    },
    ...patch,
  };
}
