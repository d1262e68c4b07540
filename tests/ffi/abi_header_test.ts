/**
 * The C header `ffi/include/auki_edge_driver.h` against the loader's
 * TypeScript view of it: it compiles on its own, strictly, in C and C++,
 * and its constants and struct layouts are the ones `drivers/native/abi.ts`
 * reads.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ABI_VERSION,
  AED_CLOCK,
  AED_E,
  SAMPLE_META,
  UWB_HEADER,
  UWB_RANGE,
  WIFI_CSI_HEADER,
} from "../../drivers/native/abi.ts";
import { findCompiler } from "../../scripts/build_ffi.ts";
import { withDir } from "../helpers/temp_dir.ts";

const INCLUDE = new URL("../../ffi/include/", import.meta.url).pathname;
const compiler = await findCompiler();
const SKIP = compiler === undefined ? " (skipped: no C compiler)" : "";

async function cxxCompiler(): Promise<string | undefined> {
  for (const candidate of ["c++", "g++", "clang++"]) {
    try {
      const out = await new Deno.Command(candidate, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (out.success) return candidate;
    } catch {
      // Not installed.
    }
  }
  return undefined;
}
const cxx = await cxxCompiler();

const PROGRAM = `
#include <stddef.h>
#include <stdio.h>
#include "auki_edge_driver.h"
#define AT(type, field) (unsigned)offsetof(type, field)
int main(void) {
  printf("{\\"version\\":%u,\\"errors\\":[%d,%d,%d,%d,%d],\\"clocks\\":[%d,%d],",
         AED_ABI_VERSION, AED_E_FAILED, AED_E_TOO_SMALL, AED_E_NO_DEVICE,
         AED_E_INVALID, AED_E_CONFIG, AED_CLOCK_REALTIME, AED_CLOCK_MONOTONIC);
  printf("\\"meta\\":[%u,%u,%u,%u,%u],", (unsigned)sizeof(aed_sample_meta),
         AT(aed_sample_meta, timestamp_ns), AT(aed_sample_meta, clock),
         AT(aed_sample_meta, flags), AT(aed_sample_meta, needed));
  printf("\\"uwb\\":[%u,%u,%u,%u,%u,%u,%u],", (unsigned)sizeof(aed_uwb_header),
         AT(aed_uwb_header, range_count), AT(aed_uwb_header, has_position),
         AT(aed_uwb_header, x), AT(aed_uwb_header, y), AT(aed_uwb_header, z),
         AT(aed_uwb_header, position_quality));
  printf("\\"range\\":[%u,%u,%u,%u],", (unsigned)sizeof(aed_uwb_range),
         AT(aed_uwb_range, anchor_id), AT(aed_uwb_range, distance_m),
         AT(aed_uwb_range, quality));
  printf("\\"wifi\\":[%u,%u,%u,%u,%u]}", (unsigned)sizeof(aed_wifi_csi_header),
         AT(aed_wifi_csi_header, source_mac), AT(aed_wifi_csi_header, rssi_dbm),
         AT(aed_wifi_csi_header, channel),
         AT(aed_wifi_csi_header, subcarrier_count));
  return 0;
}
`;

async function run(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.ok(
    out.success,
    `${command} ${args.join(" ")}:\n${decoder.decode(out.stderr)}`,
  );
  return decoder.decode(out.stdout);
}

Deno.test({
  name: `abi header: its constants and layouts are the loader's${SKIP}`,
  ignore: compiler === undefined,
  async fn() {
    await withDir(async (dir) => {
      const source = join(dir, "layout.c");
      await Deno.writeTextFile(source, PROGRAM);
      const binary = join(dir, "layout");
      await run(compiler!, [
        "-std=c99",
        "-pedantic",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-I",
        INCLUDE,
        "-o",
        binary,
        source,
      ]);
      const layout = JSON.parse(await run(binary, []));
      assert.deepEqual(layout, {
        version: ABI_VERSION,
        errors: [
          AED_E.FAILED,
          AED_E.TOO_SMALL,
          AED_E.NO_DEVICE,
          AED_E.INVALID,
          AED_E.CONFIG,
        ],
        clocks: [AED_CLOCK.REALTIME, AED_CLOCK.MONOTONIC],
        meta: [
          SAMPLE_META.size,
          SAMPLE_META.timestampNs,
          SAMPLE_META.clock,
          SAMPLE_META.flags,
          SAMPLE_META.needed,
        ],
        uwb: [
          UWB_HEADER.size,
          UWB_HEADER.rangeCount,
          UWB_HEADER.hasPosition,
          UWB_HEADER.x,
          UWB_HEADER.y,
          UWB_HEADER.z,
          UWB_HEADER.positionQuality,
        ],
        range: [
          UWB_RANGE.size,
          UWB_RANGE.anchorId,
          UWB_RANGE.distanceM,
          UWB_RANGE.quality,
        ],
        wifi: [
          WIFI_CSI_HEADER.size,
          WIFI_CSI_HEADER.sourceMac,
          WIFI_CSI_HEADER.rssiDbm,
          WIFI_CSI_HEADER.channel,
          WIFI_CSI_HEADER.subcarrierCount,
        ],
      });
    });
  },
});

Deno.test({
  name: `abi header: compiles as C++ too${
    cxx === undefined ? " (skipped: no C++ compiler)" : ""
  }`,
  ignore: cxx === undefined,
  async fn() {
    await withDir(async (dir) => {
      const source = join(dir, "vendor.c");
      await Deno.writeTextFile(
        source,
        '#include "auki_edge_driver.h"\nuint32_t aed_abi_version(void) { return AED_ABI_VERSION; }\n',
      );
      await run(cxx!, [
        "-x",
        "c++",
        "-std=c++11",
        "-fsyntax-only",
        "-Wall",
        "-Werror",
        "-I",
        INCLUDE,
        source,
      ]);
    });
  },
});
