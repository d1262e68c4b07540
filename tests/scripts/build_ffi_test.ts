import assert from "node:assert/strict";
import { relative } from "node:path";
import {
  buildDir,
  buildFfi,
  type FfiArch,
  findCompiler,
  hostArch,
  LIBRARIES,
  libraryPath,
} from "../../scripts/build_ffi.ts";
import { BUNDLED_DRIVERS } from "../../drivers/native/bundled.ts";
import { ELF_MACHINES, elfMachine } from "../helpers/elf.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const compiler = await findCompiler();

Deno.test("build_ffi: libraries go to ffi/build/<arch>/<group>/libauki_<name>.so", () => {
  assert.equal(
    relative(ROOT, libraryPath("ref_camera", "aarch64")),
    "ffi/build/aarch64/drivers/libauki_ref_camera.so",
  );
  assert.equal(
    relative(ROOT, libraryPath("fault_hang", "x86_64")),
    "ffi/build/x86_64/test/libauki_fault_hang.so",
  );
  assert.equal(
    relative(ROOT, buildDir("drivers", "x86_64")),
    "ffi/build/x86_64/drivers",
  );
  assert.throws(() => libraryPath("nothing"), /no library "nothing"/);
});

Deno.test("build_ffi: every driver source is built, and the bundled drivers are the shipped group", async () => {
  const sources = new Set(Object.values(LIBRARIES).flatMap((l) => l.sources));
  for (const group of ["drivers", "test"]) {
    for await (const entry of Deno.readDir(`${ROOT}ffi/src/${group}`)) {
      if (entry.name.endsWith(".c")) {
        assert.ok(
          sources.has(`${group}/${entry.name}`),
          `${entry.name} is not built`,
        );
      }
    }
  }
  assert.deepEqual(
    Object.entries(LIBRARIES).filter(([, l]) => l.group === "drivers").map((
      [n],
    ) => n),
    [...BUNDLED_DRIVERS],
  );
});

Deno.test({
  name: `build_ffi: a second build with nothing changed rebuilds nothing${
    compiler === undefined ? " (skipped: no C compiler)" : ""
  }`,
  ignore: compiler === undefined,
  async fn() {
    await buildFfi(compiler!);
    assert.deepEqual(await buildFfi(compiler!), []);
    for (const name of Object.keys(LIBRARIES)) {
      assert.ok((await Deno.stat(libraryPath(name))).isFile, name);
    }
  },
});

for (const arch of ["x86_64", "aarch64"] as FfiArch[]) {
  const cc = await findCompiler(arch);
  Deno.test({
    name: `build_ffi: every library is built for ${arch} (ELF machine ${
      ELF_MACHINES[arch]
    })${
      cc === undefined
        ? ` (skipped: no C compiler for ${arch}${
          arch === hostArch()
            ? ""
            : `; install gcc-${arch.replace("_", "-")}-linux-gnu`
        })`
        : ""
    }`,
    ignore: cc === undefined,
    async fn() {
      await buildFfi(cc!, arch);
      for (const name of Object.keys(LIBRARIES)) {
        assert.equal(
          await elfMachine(libraryPath(name, arch)),
          ELF_MACHINES[arch],
          `${name} for ${arch}`,
        );
      }
    },
  });
}
