/**
 * Controls of the fake V4L2 camera library (ffi/src/test/fake_v4l2.c),
 * opened here too: the driver and the test share its one device.
 *
 * @module
 */
import { FFI_SKIP, lib } from "../../ffi/_libs.ts";

/** The fake device library's path (load it as the camera's `libc`). */
export const FAKE_LIBC: string = lib("fake_v4l2");

const SYMBOLS = {
  fake_v4l2_set: { parameters: ["buffer", "i64"], result: "void" },
  fake_v4l2_reset: { parameters: [], result: "void" },
  fake_v4l2_log: { parameters: ["buffer", "u32"], result: "u32" },
  fake_v4l2_layout: { parameters: ["buffer", "u32"], result: "u32" },
} as const satisfies Deno.ForeignLibraryInterface;

const fake = FFI_SKIP === undefined
  ? Deno.dlopen(FAKE_LIBC, SYMBOLS).symbols
  : undefined;

function text(call: (buffer: Uint8Array, cap: number) => number): string {
  const buffer = new Uint8Array(1 << 16);
  const length = call(buffer, buffer.length);
  return new TextDecoder().decode(buffer.subarray(0, length));
}

/** Sets a fake control: `present`, `yuyv_padding`, `capture_delay_ms`, `fail_after_frames`. */
export function setFake(key: string, value: number): void {
  fake!.fake_v4l2_set(new TextEncoder().encode(`${key}\0`), BigInt(value));
}

/** Restores the defaults and clears the call log. */
export function resetFake(): void {
  fake!.fake_v4l2_reset();
}

/** The calls the fake saw since the last reset, one per entry. */
export function fakeCalls(): string[] {
  return text((b, n) => fake!.fake_v4l2_log(b, n)).split("\n").filter((l) =>
    l !== ""
  );
}

/** The kernel header's struct sizes, offsets and request codes. */
export function kernelLayout(): Record<string, Record<string, number>> {
  return JSON.parse(text((b, n) => fake!.fake_v4l2_layout(b, n)));
}
