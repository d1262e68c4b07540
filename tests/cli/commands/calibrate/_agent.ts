/**
 * Helpers of the calibration tests: a client node on an agent process, and
 * the calibration store of its storage.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { withClient } from "../../../../cli/client.ts";
import { runCli } from "../../../../scripts/harness/agent_process.ts";

/** Runs `auki-edge calibrate <args>` as a process. */
export function calibrate(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(["calibrate", ...args], { timeoutMs: 60_000 });
}

/** Runs `work` with a client node. */
export function client<T>(work: (node: Libp2p) => Promise<T>): Promise<T> {
  return withClient(work);
}

/** Whether `<storage>/calibration` holds any file. */
export async function storeIsEmpty(storage: string): Promise<boolean> {
  try {
    for await (const kind of Deno.readDir(`${storage}/calibration`)) {
      for await (
        const _ of Deno.readDir(`${storage}/calibration/${kind.name}`)
      ) {
        return false;
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return true;
}
