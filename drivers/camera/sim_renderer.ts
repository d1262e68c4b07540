/**
 * The agent's side of a simulated camera's render worker
 * ({@link ToRenderer}/{@link FromRenderer}): frames are asked for by index
 * and arrive in order, their memory transferred from the worker.
 *
 * @module
 */
import type { AsyncTickSource } from "../sim/ticking_driver.ts";
import type { SimFrameSettings } from "./sim_frames.ts";
import type { FromRenderer, ToRenderer } from "./sim_worker.ts";

const WORKER = new URL("./sim_worker.ts", import.meta.url);

/** Renders a simulated camera's frames on a worker thread. */
export class SimRenderer implements AsyncTickSource {
  readonly #settings: SimFrameSettings;
  #worker: Worker | undefined;
  /** Requests sent and not answered yet, oldest first. */
  #waiting: PromiseWithResolvers<FromRenderer>[] = [];
  #broken: Error | undefined;

  /** A renderer of the frames `settings` describe. */
  constructor(settings: SimFrameSettings) {
    this.#settings = settings;
  }

  /** Starts the worker and waits until it is ready. */
  async open(): Promise<void> {
    this.#broken = undefined;
    const worker = new Worker(WORKER.href, { type: "module" });
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent<FromRenderer>) => {
      const answer = event.data;
      const waiting = this.#waiting.shift();
      if (answer.kind === "failed") {
        waiting?.reject(new Error(answer.message));
      } else waiting?.resolve(answer);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Error(`camera render worker: ${event.message}`));
    };
    await this.#ask({ op: "settings", settings: this.#settings });
  }

  /** The payload of frame `index`. */
  async produce(index: number): Promise<Uint8Array> {
    const answer = await this.#ask({ op: "render", index });
    if (answer.kind !== "frame" || answer.index !== index) {
      throw new Error(`camera render worker answered out of order`);
    }
    return answer.payload;
  }

  /** Stops the worker; frames still being rendered never arrive. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#fail(new Error("the camera render worker was stopped"));
  }

  #ask(request: ToRenderer): Promise<FromRenderer> {
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    if (this.#worker === undefined) {
      return Promise.reject(new Error("the camera render worker is not open"));
    }
    const answer = Promise.withResolvers<FromRenderer>();
    this.#waiting.push(answer);
    this.#worker.postMessage(request);
    return answer.promise;
  }

  #fail(error: Error): void {
    this.#broken = error;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const { reject } of waiting) reject(error);
  }
}
