/**
 * A fake Auki identity API, DDS and DMS on one loopback HTTP server for the gen-B
 * tests and benchmark: it checks app credentials, issues challenges, verifies the
 * peer's Ed25519 signature, mints ES256 p2p-access tokens with a test key
 * (rotated on demand), serves the verification keys, records DDS
 * advertisements and relay bookings ({@link FakeDms}), and answers with 401,
 * 404, 5xx or garbage on request.
 *
 * @module
 */
import { publicKeyFromProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import { base64url, fromBase64url } from "../../agent/genb/base64url.ts";
import { FakeDms, json } from "./fake_dms.ts";
import {
  claimsFor,
  keyDocument,
  newSigningKey,
  type SigningKey,
  signToken,
} from "./genb_tokens.ts";

/** An advertisement as DDS stores it. */
export interface Advertisement {
  /** The advertising peer. */
  peer_id: string;
  /** Its routes. */
  routes: string[];
  /** Its protocols. */
  protocols: string[];
  /** Lease end. */
  expires_at: string;
}

/** The CLI's auth flags for `domain` against `services`, the app secret in `secretFile`. */
export function authFlags(
  services: { url: string; app: { key: string } },
  domain: string,
  secretFile: string,
): string[] {
  return [
    "--domain",
    domain,
    "--auth-api",
    services.url,
    "--dds",
    services.url,
    "--app-key",
    services.app.key,
    "--app-secret-file",
    secretFile,
  ];
}

/** The fake services; `url` is the base of all three. */
export class FakeAukiServices {
  /** Base URL (`http://127.0.0.1:PORT/`). */
  readonly url: string;
  /** Every request as `METHOD /path`. */
  readonly calls: string[] = [];
  /** Accepted app key and secret. */
  readonly app = { key: "test-app", secret: "test-secret" };
  /** Domains the app may access. */
  readonly domains = new Set<string>();
  /** Current advertisements by peer id. */
  readonly advertisements = new Map<string, Advertisement>();
  /** Answer the next request whose path contains the key with this status (or `garbage`). */
  readonly failNext = new Map<string, number | "garbage">();
  /** Answer every request whose path contains the key with this status, until deleted. */
  readonly failing = new Map<string, number>();
  /** The DMS relay-booking endpoints. */
  readonly dms = new FakeDms();
  /** Seconds by which minted tokens are backdated (to bring renewal near). */
  tokenAgeS = 0;
  #key: SigningKey;
  #previous: SigningKey | undefined;
  #generation = 1;
  #serviceTokens = new Set<string>();
  #issued = 0;
  #challenges = new Map<
    string,
    { bytes: Uint8Array; peerId: string; publicKey: Uint8Array }
  >();
  readonly #server: Deno.HttpServer<Deno.NetAddr>;

  private constructor(key: SigningKey) {
    this.#key = key;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request) => this.#handle(request),
    );
    this.url = `http://127.0.0.1:${this.#server.addr.port}/`;
  }

  /** Starts the fake on a free loopback port. */
  static async start(): Promise<FakeAukiServices> {
    return new FakeAukiServices(await newSigningKey());
  }

  /** The current signing key. */
  get key(): SigningKey {
    return this.#key;
  }

  /** Rotates the signing key: a new generation with the old key as previous. */
  async rotate(): Promise<void> {
    this.#previous = this.#key;
    this.#key = await newSigningKey();
    this.#generation++;
  }

  /** Invalidates every service bearer issued so far (the next DDS call gets 401). */
  revokeServiceTokens(): void {
    this.#serviceTokens.clear();
  }

  /** How many calls hit paths containing `part`. */
  count(part: string): number {
    return this.calls.filter((c) => c.includes(part)).length;
  }

  /** Stops the server. */
  async stop(): Promise<void> {
    await this.#server.shutdown();
  }

  async #handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    this.calls.push(`${request.method} ${path}`);
    for (const [part, status] of this.failNext) {
      if (path.includes(part)) {
        this.failNext.delete(part);
        return status === "garbage"
          ? new Response("<html>oops</html>", { status: 200 })
          : new Response("injected", { status });
      }
    }
    for (const [part, status] of this.failing) {
      if (path.includes(part)) return new Response("injected", { status });
    }
    const auth = request.headers.get("authorization") ?? "";
    if (path === "/service/domains-access-token") {
      const expected = `Basic ${btoa(`${this.app.key}:${this.app.secret}`)}`;
      if (auth !== expected) return new Response("bad", { status: 401 });
      const token = `svc-${crypto.randomUUID()}`;
      this.#serviceTokens.add(token);
      return json({ access_token: token });
    }
    if (path === "/service/p2p-verification-keys") {
      return new Response(
        await keyDocument(this.#generation, this.#key.pem, this.#previous?.pem),
        { headers: { "content-type": "application/json" } },
      );
    }
    if (path.startsWith("/relay-bookings")) {
      return this.dms.handle(
        request,
        path,
        bearerPeer(auth.replace(/^Bearer /, "")),
      );
    }
    const match = /^\/api\/v1\/domains\/([^/]+)\/p2p\/(.+)$/.exec(path);
    if (match === null) return new Response("no route", { status: 404 });
    const [, domain, rest] = match;
    const bearer = auth.replace(/^Bearer /, "");
    if (rest === "challenge" || rest === "verify") {
      if (!this.#serviceTokens.has(bearer)) {
        return new Response("expired", { status: 401 });
      }
      if (!this.domains.has(domain)) return new Response("", { status: 404 });
      const body = await request.json();
      if (rest === "challenge") {
        const bytes = crypto.getRandomValues(new Uint8Array(32));
        const id = crypto.randomUUID();
        this.#challenges.set(id, {
          bytes,
          peerId: body.peer_id,
          publicKey: fromBase64url(body.public_key),
        });
        return json({
          challenge_id: id,
          challenge: base64url(bytes),
          expires_at: new Date(Date.now() + 60_000).toISOString(),
        });
      }
      const challenge = this.#challenges.get(body.challenge_id);
      this.#challenges.delete(body.challenge_id);
      if (challenge === undefined) return new Response("", { status: 400 });
      const key = publicKeyFromProtobuf(challenge.publicKey);
      const signature = fromBase64url(body.signature);
      if (
        peerIdFromPublicKey(key).toString() !== challenge.peerId ||
        !await key.verify(challenge.bytes, signature)
      ) {
        return new Response("bad signature", { status: 401 });
      }
      // Strictly increasing iat, even for two tokens in the same second.
      const iat = Math.floor(Date.now() / 1000) - this.tokenAgeS +
        this.#issued++;
      const claims = claimsFor(challenge.peerId, domain, iat);
      return json({
        peer_id: challenge.peerId,
        domain_id: domain,
        peer_type: "app",
        p2p_access_token: await signToken(claims, this.#key.privateKey),
        p2p_access_expires_at: new Date((claims.exp as number) * 1000)
          .toISOString(),
      });
    }
    return this.#advertisements(request, domain, rest, bearer, json);
  }

  async #advertisements(
    request: Request,
    domain: string,
    rest: string,
    bearer: string,
    json: (body: unknown, status?: number) => Response,
  ): Promise<Response> {
    const peerId = bearerPeer(bearer);
    if (peerId === undefined) return new Response("", { status: 401 });
    if (rest === "advertisements/self" && request.method === "PUT") {
      const body = await request.json();
      const ad = {
        peer_id: peerId,
        routes: body.routes,
        protocols: body.protocols,
        expires_at: new Date(Date.now() + 120_000).toISOString(),
      };
      this.advertisements.set(peerId, ad);
      return json(ad);
    }
    if (rest === "advertisements/self" && request.method === "DELETE") {
      this.advertisements.delete(peerId);
      return new Response(null, { status: 204 });
    }
    if (rest === "advertisements" && request.method === "GET") {
      if (!this.domains.has(domain)) return new Response("", { status: 404 });
      return json({ advertisements: [...this.advertisements.values()] });
    }
    return new Response("no route", { status: 404 });
  }
}

/** The peer id a p2p-access bearer names (unverified: the fake trusts itself). */
function bearerPeer(bearer: string): string | undefined {
  try {
    const claims = JSON.parse(
      new TextDecoder().decode(fromBase64url(bearer.split(".")[1])),
    );
    return typeof claims.peer_id === "string" ? claims.peer_id : undefined;
  } catch {
    return undefined;
  }
}
