/**
 * Keeping the agent's memory flat while it streams frames: large buffers
 * (camera frames, a megabyte or more each, many per second) go straight to
 * `mmap`, so freeing one returns its memory to the system. glibc would
 * otherwise raise its mmap threshold after the first such free and serve
 * the next frames from its heaps, where freed frames stay resident.
 *
 * @module
 */
import { libc } from "../ffi/libc.ts";

/** glibc's `M_MMAP_THRESHOLD` (malloc.h). */
const M_MMAP_THRESHOLD = -3;
/** Allocations from this size up are mapped: glibc's default, kept fixed. */
const MMAP_THRESHOLD_BYTES = 128 * 1024;

/**
 * Fixes the C library's mmap threshold at {@link MMAP_THRESHOLD_BYTES};
 * returns false where that cannot be done (not glibc).
 */
export function mapLargeBuffers(): boolean {
  try {
    return libc().mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) === 1;
  } catch {
    return false;
  }
}
