/**
 * Flags every calibration task shares: where the agent's storage is (the
 * calibration store lives in it) and `--dry-run`.
 *
 * @module
 */
import { defaultStorage, readConfigFile } from "../../../agent/config.ts";

/** The flag definitions, for `parseCommand` options. */
export const TASK_FLAGS = {
  storage: { type: "string" },
  config: { type: "string" },
  "dry-run": { type: "boolean" },
} as const;

/** Help lines of {@link TASK_FLAGS}. */
export const TASK_FLAGS_HELP =
  `  --storage DIR      the agent's storage (default: --config's, else ~/.auki/auki-edge)
  --config FILE      the agent's configuration file (for its storage)
  --dry-run          print what would change, change nothing`;

/** The agent storage the flags name. */
export async function taskStorage(
  values: { storage?: string; config?: string },
): Promise<string> {
  if (values.storage !== undefined) return values.storage;
  if (values.config !== undefined) {
    return (await readConfigFile(values.config)).storage ?? defaultStorage();
  }
  return defaultStorage();
}

/** Parses a comma list of finite numbers, exactly `count` of them when given. */
export function parseNumbers(raw: string, count?: number): number[] {
  const parts = raw.split(",").map((p) => p.trim());
  const numbers = parts.map((p) => (p === "" ? NaN : Number(p)));
  const bad = parts.find((_, i) => !Number.isFinite(numbers[i]));
  if (bad !== undefined) throw new Error(`"${bad}" is not a finite number`);
  if (count !== undefined && numbers.length !== count) {
    throw new Error(
      `expects ${count} comma-separated numbers, got ${numbers.length}`,
    );
  }
  return numbers;
}
