/**
 * HTTP to the Auki identity API, DDS and DMS (spec genb.md 2.1): JSON in
 * and out, 10 s per request, HTTPS except on loopback, no redirects, and
 * every failure as one {@link AuthHttpError} naming the service, the call
 * and what went wrong.
 *
 * @module
 */
import { errorMessage } from "../../core/logging.ts";

/** Timeout of one HTTP request, ms. */
export const HTTP_TIMEOUT_MS = 10_000;
/** Largest response body read, bytes. */
export const MAX_RESPONSE_BYTES = 512 * 1024;

/** How a call failed. */
export type AuthHttpFailure =
  | "unreachable"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "server"
  | "rejected"
  | "bad_response";

/** A failed call to one of the Auki services. */
export class AuthHttpError extends Error {
  /** Creates the error; `status` is the HTTP status when there was one. */
  constructor(
    readonly failure: AuthHttpFailure,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "AuthHttpError";
  }

  /** Whether retrying later may succeed (unreachable, 5xx, 429, garbage). */
  get transient(): boolean {
    return this.failure === "unreachable" || this.failure === "server" ||
      this.failure === "bad_response" || this.status === 429;
  }
}

/**
 * Checks a service base URL (a flag or config value): http(s), HTTPS unless
 * the host is loopback, no credentials, query or fragment. Returns it with
 * a trailing slash; throws a one-line message naming `what`.
 */
export function serviceUrl(text: string, what: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${what}: "${text}" is not a URL`);
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new Error(
      `${what}: ${text} must use https (plain http only on loopback)`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new Error(
      `${what}: ${text} must not carry credentials, a query or a fragment`,
    );
  }
  return url.href.endsWith("/") ? url.href : `${url.href}/`;
}

/** One JSON call. */
export interface Call {
  /** Service name for messages (`API`, `DDS`, `DMS`). */
  service: string;
  /** HTTP method. */
  method: string;
  /** Absolute URL. */
  url: string;
  /** `Authorization` header value. */
  authorization?: string;
  /** JSON body. */
  body?: unknown;
  /** Extra headers. */
  headers?: Record<string, string>;
}

/** A response: status, headers, and the body text. */
export interface Reply {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** Body text (empty for 204). */
  text: string;
}

/**
 * Performs a call; a 2xx reply is returned, anything else is thrown as an
 * {@link AuthHttpError} classified by status.
 */
export async function call(request: Call): Promise<Reply> {
  const where = `${request.service} ${request.method} ${
    new URL(request.url).pathname
  }`;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      redirect: "manual",
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      headers: {
        "accept": "application/json",
        "cache-control": "no-store",
        ...(request.body !== undefined
          ? { "content-type": "application/json" }
          : {}),
        ...(request.authorization
          ? { authorization: request.authorization }
          : {}),
        ...request.headers,
      },
      body: request.body === undefined
        ? undefined
        : JSON.stringify(request.body),
    });
  } catch (error) {
    throw new AuthHttpError(
      "unreachable",
      `${where}: cannot reach ${new URL(request.url).origin}: ${
        errorMessage(error)
      }`,
    );
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new AuthHttpError(
      "unreachable",
      `${where}: reading the answer failed: ${errorMessage(error)}`,
    );
  }
  if (text.length > MAX_RESPONSE_BYTES) {
    throw new AuthHttpError("bad_response", `${where}: answer too large`);
  }
  const status = response.status;
  if (status >= 200 && status < 300) {
    return { status, headers: response.headers, text };
  }
  const failure: AuthHttpFailure = status === 401
    ? "unauthorized"
    : status === 403
    ? "forbidden"
    : status === 404
    ? "not_found"
    : status >= 500 || status === 429
    ? "server"
    : "rejected";
  throw new AuthHttpError(
    failure,
    `${where}: HTTP ${status}${text ? ` ${text.slice(0, 200)}` : ""}`,
    status,
  );
}

/** Parses a reply's JSON body with `parse`; garbage is a `bad_response`. */
export function replyJson<T>(
  reply: Reply,
  where: string,
  parse: (value: unknown) => T,
): T {
  try {
    return parse(JSON.parse(reply.text));
  } catch (error) {
    throw new AuthHttpError(
      "bad_response",
      `${where}: unexpected answer: ${errorMessage(error).slice(0, 200)}`,
    );
  }
}
