/**
 * The native driver host's limits and timeouts (ffi/README.md states them).
 *
 * @module
 */
import { FRAME_CAPS } from "../../core/codec/framing.ts";

/** Largest sample the loader accepts: what fits one stream entry frame. */
export const MAX_SAMPLE_BYTES = FRAME_CAPS.stream - 1024;
/** Longest description accepted (the registry's entry cap). */
export const MAX_DESCRIPTION_BYTES = 64 * 1024;
/** How long `aed_describe` and `aed_open` may take, ms. */
export const CALL_DEADLINE_MS = 5_000;
/** How long past its timeout `aed_read` may take before it counts as hung, ms. */
export const HANG_GRACE_MS = 1_000;
/** The `aed_read` timeout of an event-driven sensor (`rate_hz` 0) by default, ms. */
export const EVENT_READ_TIMEOUT_MS = 1_000;
/** How long stopping waits for a call in flight before leaving it behind, ms. */
export const SHUTDOWN_WAIT_MS = 2_000;
/** At most one line per this long about failed reads a session survived, ms. */
export const READ_FAILURE_LOG_MS = 10_000;
