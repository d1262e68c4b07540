/**
 * A WebSocket for the Foxglove server that never queues more than a bound:
 * message data is dropped while the client has not taken what was sent
 * (`bufferedAmount` above the bound), so a slow client loses frames instead
 * of growing the agent's memory; a client that takes nothing at all is
 * closed once even control messages would pass twice the bound.
 *
 * @module
 */
import type { IWebSocket } from "./ws_protocol.ts";

/** A {@link IWebSocket} over a WebSocket, bounded in what it queues. */
export class BoundedSocket implements IWebSocket {
  readonly #socket: WebSocket;
  readonly #maxBufferedBytes: number;
  #dropped = 0;

  /** Wraps `socket`; message data is dropped above `maxBufferedBytes` queued. */
  constructor(socket: WebSocket, maxBufferedBytes: number) {
    this.#socket = socket;
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  /** Messages dropped because the client was behind. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The socket's binary type. */
  get binaryType(): string {
    return this.#socket.binaryType;
  }

  set binaryType(value: string) {
    this.#socket.binaryType = value as BinaryType;
  }

  /** The negotiated sub-protocol. */
  get protocol(): string {
    return this.#socket.protocol;
  }

  /** Error handler. */
  get onerror(): IWebSocket["onerror"] {
    return this.#socket.onerror;
  }

  set onerror(handler: IWebSocket["onerror"]) {
    this.#socket.onerror = handler ?? null;
  }

  /** Open handler. */
  get onopen(): IWebSocket["onopen"] {
    return this.#socket.onopen;
  }

  set onopen(handler: IWebSocket["onopen"]) {
    this.#socket.onopen = handler ?? null;
  }

  /** Close handler. */
  get onclose(): IWebSocket["onclose"] {
    return this.#socket.onclose;
  }

  set onclose(handler: IWebSocket["onclose"]) {
    this.#socket.onclose = handler ?? null;
  }

  /** Message handler. */
  get onmessage(): IWebSocket["onmessage"] {
    return this.#socket.onmessage;
  }

  set onmessage(handler: IWebSocket["onmessage"]) {
    this.#socket.onmessage = handler ?? null;
  }

  /** Closes the connection. */
  close(): void {
    this.#socket.close();
  }

  /**
   * Sends text (control messages) or binary (message data); binary is
   * dropped while more than the bound is queued, and a client past twice the
   * bound is disconnected.
   */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    const queued = this.#socket.bufferedAmount;
    if (queued > 2 * this.#maxBufferedBytes) {
      this.#dropped++;
      this.#socket.close(1008, "client too slow");
      return;
    }
    if (typeof data !== "string" && queued > this.#maxBufferedBytes) {
      this.#dropped++;
      return;
    }
    this.#socket.send(
      data as string | ArrayBufferLike | ArrayBufferView<ArrayBuffer>,
    );
  }
}
