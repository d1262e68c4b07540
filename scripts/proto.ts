/**
 * `deno task proto`: regenerates `core/proto/gen/` from the `.proto` files
 * with buf and protoc-gen-es (fetched from the npm registry by npx).
 * `--check` regenerates into a temporary folder and fails when the committed
 * code differs.
 *
 * @module
 */
import { join } from "node:path";

const BUF = "@bufbuild/buf@1.75.0";
const PLUGIN = "@bufbuild/protoc-gen-es@2.17.0";

const protoDir = new URL("../core/proto/", import.meta.url).pathname;

async function generate(outDir: string): Promise<void> {
  const result = await new Deno.Command("npx", {
    args: [
      "--yes",
      `--package=${BUF}`,
      `--package=${PLUGIN}`,
      "buf",
      "generate",
      "--output",
      outDir,
    ],
    cwd: protoDir,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!result.success) throw new Error("buf generate failed");
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    const path = join(prefix, entry.name);
    if (entry.isDirectory) files.push(...await listFiles(dir, path));
    else files.push(path);
  }
  return files.sort();
}

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    const temp = await Deno.makeTempDir();
    try {
      await generate(temp);
      const fresh = join(temp, "gen");
      const committed = join(protoDir, "gen");
      const names = await listFiles(fresh);
      const stale = names.length !== (await listFiles(committed)).length
        ? ["(file list)"]
        : [];
      for (const name of names) {
        const a = await Deno.readTextFile(join(fresh, name));
        const b = await Deno.readTextFile(join(committed, name)).catch(() =>
          ""
        );
        if (a !== b) stale.push(name);
      }
      if (stale.length > 0) {
        console.error(
          `core/proto/gen is stale: ${stale.join(", ")}; run deno task proto`,
        );
        Deno.exit(1);
      }
      console.log("core/proto/gen matches the .proto files");
    } finally {
      await Deno.remove(temp, { recursive: true });
    }
  } else {
    await generate(protoDir);
  }
}
