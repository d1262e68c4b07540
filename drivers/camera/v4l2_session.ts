/**
 * One V4L2 capture session seen from the agent's thread: a worker
 * ({@link ToWorker}/{@link FromWorker}) that opens and negotiates the device,
 * streams frames, and closes it. Every wait has a deadline; a worker stuck in
 * the device is terminated and left behind.
 *
 * @module
 */
import { withDeadline } from "../deadline.ts";
import type { CaptureRequest } from "./v4l2_negotiate.ts";
import type { FromWorker, ToWorker } from "./v4l2_worker.ts";

/** What an opened session negotiated. */
export type Opened = Extract<FromWorker, { kind: "opened" }>;
/** Why a session could not open or stopped streaming. */
export type Failed = Extract<FromWorker, { kind: "failed" }>;
/** A delivered frame. */
export type Frame = Extract<FromWorker, { kind: "frame" }>;

/** What a streaming session reports. */
export interface StreamHandlers {
  /** A good frame. */
  frame(frame: Frame): void;
  /** A frame that was dropped, and why. */
  badFrame(detail: string): void;
  /** The device failed; the session is over. */
  failed(failure: Failed): void;
}

const WORKER = new URL("./v4l2_worker.ts", import.meta.url);
/** How long the worker may take to load its modules, ms. */
const WORKER_LOAD_DEADLINE_MS = 60_000;

/** A capture session on its worker. */
export class V4l2Session {
  readonly #worker: Worker;
  #handlers: StreamHandlers | undefined;
  #waiting:
    | { kinds: FromWorker["kind"][]; resolve(message: FromWorker): void }
    | undefined;

  private constructor() {
    this.#worker = new Worker(WORKER.href, { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<FromWorker>) =>
      this.#receive(event.data);
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#receive({
        kind: "failed",
        message: `camera worker: ${event.message}`,
        gone: false,
        unsuitable: false,
      });
    };
  }

  #receive(message: FromWorker): void {
    const waiting = this.#waiting;
    if (waiting !== undefined && waiting.kinds.includes(message.kind)) {
      this.#waiting = undefined;
      waiting.resolve(message);
      return;
    }
    const handlers = this.#handlers;
    if (handlers === undefined) return;
    if (message.kind === "frame") handlers.frame(message);
    else if (message.kind === "bad_frame") handlers.badFrame(message.detail);
    else if (message.kind === "failed") handlers.failed(message);
  }

  #await(
    kinds: FromWorker["kind"][],
    deadlineMs: number,
  ): Promise<FromWorker | undefined> {
    const answer = new Promise<FromWorker>((resolve) => {
      this.#waiting = { kinds, resolve };
    });
    return withDeadline(answer, deadlineMs).then((r) =>
      r.done ? r.value : undefined
    );
  }

  #ask(
    request: ToWorker,
    kinds: FromWorker["kind"][],
    deadlineMs: number,
  ): Promise<FromWorker | undefined> {
    const answer = this.#await(kinds, deadlineMs);
    this.#worker.postMessage(request);
    return answer;
  }

  /**
   * Opens and negotiates `request` with the C library at `libc`: the session
   * and what it negotiated, or why not (`undefined` session).
   */
  static async open(
    libc: string,
    request: CaptureRequest,
    deadlineMs: number,
  ): Promise<{ session: V4l2Session; opened: Opened } | Failed> {
    const session = new V4l2Session();
    // Loading the worker (type-checked under `deno test`, slow on a busy
    // machine) is not the device's time: its deadline starts once loaded.
    const loaded = await session.#await(
      ["ready", "failed"],
      WORKER_LOAD_DEADLINE_MS,
    );
    if (loaded?.kind !== "ready") {
      session.#worker.terminate();
      return loaded?.kind === "failed" ? loaded : {
        kind: "failed",
        message:
          `the camera worker took over ${WORKER_LOAD_DEADLINE_MS} ms to load`,
        gone: false,
        unsuitable: false,
      };
    }
    const answer = await session.#ask(
      { op: "open", libc, request },
      ["opened", "failed"],
      deadlineMs,
    );
    if (answer?.kind === "opened") return { session, opened: answer };
    session.#worker.terminate();
    return answer?.kind === "failed" ? answer : {
      kind: "failed",
      message: `opening ${request.device} took over ${deadlineMs} ms`,
      gone: false,
      unsuitable: false,
    };
  }

  /** Starts streaming with `buffers` mapped buffers; reports to `handlers`. */
  stream(buffers: number, handlers: StreamHandlers): void {
    this.#handlers = handlers;
    this.#worker.postMessage({ op: "stream", buffers } satisfies ToWorker);
  }

  /** Closes the device (waiting at most `deadlineMs`) and ends the worker. */
  async close(deadlineMs: number): Promise<void> {
    this.#handlers = undefined;
    await this.#ask({ op: "close" }, ["closed"], deadlineMs);
    this.#worker.terminate();
  }
}
