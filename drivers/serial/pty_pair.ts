/**
 * A virtual serial cable for simulators and tests: `socat` joins two
 * pseudo-terminals and links them at stable paths, one end for the device
 * simulator, the other for the driver. Killing the pair is unplugging the
 * device: the driver's end hangs up.
 *
 * @module
 */

/** Whether `socat` can be run here. */
export async function socatAvailable(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("socat", {
      args: ["-V"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** How long socat may take to set the pair up, ms. */
const START_TIMEOUT_MS = 5_000;

/** A running socat pty pair. */
export class PtyPair {
  /** The simulator's end (a symlink to a `/dev/pts/N`). */
  readonly device: string;
  /** The driver's end (a symlink to a `/dev/pts/N`). */
  readonly host: string;
  #child: Deno.ChildProcess | undefined;
  #exited: Promise<unknown> = Promise.resolve();

  private constructor(device: string, host: string) {
    this.device = device;
    this.host = host;
  }

  /** Starts socat linking the two ends at `device` and `host`. */
  static async start(device: string, host: string): Promise<PtyPair> {
    const pair = new PtyPair(device, host);
    await pair.plug();
    return pair;
  }

  /** Whether socat is running. */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** (Re)creates the pair at the same link paths. */
  async plug(): Promise<void> {
    if (this.#child !== undefined) return;
    for (const link of [this.device, this.host]) {
      await Deno.remove(link).catch(() => {});
    }
    const child = new Deno.Command("socat", {
      args: [
        "-d",
        "-d",
        `pty,raw,echo=0,link=${this.device}`,
        `pty,raw,echo=0,link=${this.host}`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    const ready = Promise.withResolvers<void>();
    let log = "";
    const drained = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({
        write(text) {
          log += text;
          if (log.includes("starting data transfer loop")) ready.resolve();
        },
      }),
    ).catch(() => {});
    this.#exited = Promise.all([child.status, drained]).then(() =>
      ready.reject(new Error(`socat exited before the pair was ready:\n${log}`))
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        ready.promise,
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new Error(`socat not ready in ${START_TIMEOUT_MS} ms`)),
            START_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (error) {
      await this.unplug("SIGKILL");
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops socat (SIGTERM removes the links; SIGKILL leaves them dangling), like pulling the cable. */
  async unplug(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
    await this.#exited;
  }
}
