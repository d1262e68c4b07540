/**
 * `deno task check:layers`: fails when a relative import breaks the one-way
 * stack of folders (README.md, "Architecture"), or when a hand-written
 * product file grows over {@link MAX_LINES} lines. Every `.ts` file of the
 * product folders is read; each `import`/`export ... from`, `import(...)`
 * and `new URL(..., import.meta.url)` specifier that leaves its folder must
 * name a layer (or a single file) its folder may import. `tests/` may import
 * anything and is not read; the generated `core/proto/gen/` is not counted.
 *
 * Usage: deno task check:layers [ROOT]   (exit 1 with one line per offence)
 *
 * @module
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, normalize, relative } from "node:path";

/**
 * What each layer may import besides itself: other layers, or single files
 * (a path with an extension: `.ts`, `.json`). The stack, bottom up: ffi, core, calibration,
 * drivers, agent, cli (with main.ts above it), scripts.
 */
const LAYERS: Readonly<Record<string, readonly string[]>> = {
  ffi: [],
  core: ["ffi", "deno.json"],
  calibration: ["core"],
  drivers: ["core", "ffi", "calibration"],
  agent: ["core", "ffi", "drivers/driver.ts"],
  cli: ["core", "ffi", "calibration", "drivers", "agent"],
  "main.ts": ["cli"],
  scripts: ["core", "ffi", "calibration", "drivers", "agent", "cli", "main.ts"],
};

/** One import that breaks the stack. */
export interface Offence {
  /** The importing file, relative to the root. */
  file: string;
  /** The imported path, relative to the root. */
  imports: string;
  /** The importing file's layer. */
  from: string;
  /** The imported path's layer. */
  to: string;
}

const SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bnew\s+URL\(\s*)["'](\.{1,2}\/[^"'\n]*)["']/g;

/** The most lines a hand-written product file may hold. */
export const MAX_LINES = 600;

/** Generated product code, exempt from {@link MAX_LINES}. */
const GENERATED = "core/proto/gen/";

/** A hand-written product file over {@link MAX_LINES} lines. */
export interface LongFile {
  /** The file, relative to the root. */
  file: string;
  /** Its number of lines. */
  lines: number;
}

/** The layer a root-relative path belongs to (its first folder, or the file). */
function layerOf(path: string): string {
  const slash = path.indexOf("/");
  return slash === -1 ? path : path.slice(0, slash);
}

/** Whether `from` may import the root-relative `target`. */
export function mayImport(from: string, target: string): boolean {
  const to = layerOf(target);
  if (to === from) return true;
  return (LAYERS[from] ?? []).some((allowed) =>
    /\.[a-z]+$/.test(allowed) ? allowed === target : allowed === to
  );
}

/** The relative specifiers of a module's source. */
export function specifiersOf(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((match) => match[1]);
}

/** The `.ts` files of a layer folder (or the layer file itself, when present). */
async function* sourceFiles(root: string, dir: string): AsyncGenerator<string> {
  if (dir.endsWith(".ts")) {
    if (await exists(join(root, dir))) yield dir;
    return;
  }
  if (!(await exists(join(root, dir)))) return;
  for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") yield* sourceFiles(root, path);
    } else if (entry.name.endsWith(".ts")) {
      yield path;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Every import under `root` that breaks the stack, in file order. */
async function checkLayers(root: string): Promise<Offence[]> {
  const offences: Offence[] = [];
  for (const layer of Object.keys(LAYERS)) {
    const files = await Array.fromAsync(sourceFiles(root, layer));
    for (const file of files.sort()) {
      const source = await readFile(join(root, file), "utf8");
      for (const specifier of specifiersOf(source)) {
        const target = relative(
          root,
          normalize(join(root, dirname(file), specifier)),
        );
        if (!mayImport(layer, target)) {
          offences.push({
            file,
            imports: target,
            from: layer,
            to: layerOf(target),
          });
        }
      }
    }
  }
  return offences;
}

/** The number of lines of a source text (a last line without newline counts). */
export function lineCount(source: string): number {
  if (source === "") return 0;
  const newlines = source.split("\n").length - 1;
  return source.endsWith("\n") ? newlines : newlines + 1;
}

/** Every hand-written product file under `root` over {@link MAX_LINES} lines, in file order. */
async function longFiles(root: string): Promise<LongFile[]> {
  const long: LongFile[] = [];
  for (const layer of Object.keys(LAYERS)) {
    const files = await Array.fromAsync(sourceFiles(root, layer));
    for (const file of files.sort()) {
      if (file.startsWith(GENERATED)) continue;
      const lines = lineCount(await readFile(join(root, file), "utf8"));
      if (lines > MAX_LINES) long.push({ file, lines });
    }
  }
  return long;
}

if (import.meta.main) {
  const root = Deno.args[0] ?? new URL("..", import.meta.url).pathname;
  const offences = await checkLayers(root);
  for (const { file, imports, from, to } of offences) {
    console.error(
      `${file}: imports ${imports} (layer ${from} may not import layer ${to})`,
    );
  }
  const long = await longFiles(root);
  for (const { file, lines } of long) {
    console.error(
      `${file}: ${lines} lines (a hand-written product file holds at most ${MAX_LINES}; split it by job)`,
    );
  }
  if (offences.length > 0 || long.length > 0) Deno.exit(1);
  console.log(
    `every import follows the layer stack; no product file is over ${MAX_LINES} lines`,
  );
}
