/**
 * The membership gate: in a cluster, every Auki protocol but join from a
 * peer that is not a member is dropped, as Rust peers do. Standalone (no
 * admission rule installed) it lets every peer through.
 *
 * @module
 */
import type { Connection, Stream, StreamHandler } from "@libp2p/interface";
import { type Logger, rateLimited } from "../../core/logging.ts";

/** Decides whether a peer may use the gated protocols. */
export type Admission = (peerId: string) => boolean;

/** The gate in front of every gated protocol handler. */
export class MembershipGate {
  #admits: Admission | undefined;
  readonly #logger: Logger;

  /** A gate letting every peer through until {@link restrict} installs a rule. */
  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Admits only peers `admits` accepts from now on; `undefined` opens the gate. */
  restrict(admits: Admission | undefined): void {
    this.#admits = admits;
  }

  /** Whether `peerId` passes the gate now. */
  admits(peerId: string): boolean {
    return this.#admits === undefined || this.#admits(peerId);
  }

  /**
   * `handler` behind the gate: streams from refused peers are aborted, with
   * at most one log line per protocol every 10 s.
   */
  guard(protocol: string, handler: StreamHandler): StreamHandler {
    const refused = rateLimited(10_000, (m) => this.#logger.info(m));
    return (stream: Stream, connection: Connection) => {
      const peer = connection.remotePeer.toString();
      if (this.admits(peer)) return handler(stream, connection);
      refused(
        `dropped ${protocol} from ${peer}: not a member of the cluster`,
      );
      stream.abort(new Error("not a cluster member"));
    };
  }
}
