/**
 * The agent's side of the preview worker ({@link ToEncoder} and
 * {@link FromEncoder}): JPEG encodes off the event loop, one at a time. The
 * worker starts on the first encode and stops after a while without one,
 * so nothing runs while nobody watches.
 *
 * @module
 */
import type { FromEncoder, ToEncoder } from "./preview_worker.ts";

const WORKER = new URL("./preview_worker.ts", import.meta.url);
/** The worker stops after this long without an encode, ms. */
export const IDLE_STOP_MS = 30_000;

/** Encodes RGBA images as JPEG on a worker thread. */
export class JpegEncoder {
  readonly #idleStopMs: number;
  #worker: Worker | undefined;
  #waiting: PromiseWithResolvers<Uint8Array>[] = [];
  #idle: ReturnType<typeof setTimeout> | undefined;

  /** An encoder whose worker stops after `idleStopMs` without an encode. */
  constructor(idleStopMs: number = IDLE_STOP_MS) {
    this.#idleStopMs = idleStopMs;
  }

  /** Whether the worker is running. */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** The JPEG of `rgba` (`width * height * 4` bytes; its memory is transferred). */
  encode(
    rgba: Uint8Array<ArrayBuffer>,
    width: number,
    height: number,
    quality: number,
  ): Promise<Uint8Array> {
    const worker = this.#worker ?? this.#start();
    clearTimeout(this.#idle);
    const answer = Promise.withResolvers<Uint8Array>();
    this.#waiting.push(answer);
    const request: ToEncoder = { rgba, width, height, quality };
    worker.postMessage(request, [rgba.buffer]);
    return answer.promise.finally(() => {
      if (this.#waiting.length === 0 && this.#worker !== undefined) {
        this.#idle = setTimeout(() => this.close(), this.#idleStopMs);
        Deno.unrefTimer(this.#idle);
      }
    });
  }

  /** Stops the worker; encodes still running fail. */
  close(): void {
    clearTimeout(this.#idle);
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#fail(new Error("the preview encoder was stopped"));
  }

  #start(): Worker {
    const worker = new Worker(WORKER.href, { type: "module" });
    worker.onmessage = (event: MessageEvent<FromEncoder>) => {
      const answer = event.data;
      const waiting = this.#waiting.shift();
      if (answer.kind === "failed") {
        waiting?.reject(new Error(answer.message));
      } else waiting?.resolve(answer.bytes);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.#worker?.terminate();
      this.#worker = undefined;
      this.#fail(new Error(`preview encoder: ${event.message}`));
    };
    this.#worker = worker;
    return worker;
  }

  #fail(error: Error): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const { reject } of waiting) reject(error);
  }
}
