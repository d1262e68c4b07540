/**
 * Calls to DMS and DDS with the peer's p2p-access token as bearer (spec
 * genb.md 2.6): a 401 asks for the token to be renewed now and the call is
 * made once more with the new token (decision 105).
 *
 * @module
 */
import { AuthHttpError, type Call, call, type Reply } from "./auth_http.ts";

/**
 * Asks for a new token after a service refused `rejected` with a 401
 * (`reason` says which call); resolves whether a newer token is installed.
 * {@link AuthSupervisor.renewNow} is one.
 */
export type RenewToken = (rejected: string, reason: string) => Promise<boolean>;

/** Where a call gets its bearer, and how a refused one is renewed. */
export interface Bearer {
  /** The current token; `""` when there is none. */
  token(): string;
  /** Renews a refused token; without it a 401 is thrown as it is. */
  renew?: RenewToken;
}

/**
 * Performs `request` with `Authorization: Bearer <token>`; on a 401 the
 * token is renewed through `bearer.renew` and the call retried once with
 * the new token. Throws an `unauthorized` {@link AuthHttpError} when there
 * is no token.
 */
export async function bearerCall(
  request: Omit<Call, "authorization">,
  bearer: Bearer,
): Promise<Reply> {
  const token = bearer.token();
  if (token === "") {
    throw new AuthHttpError(
      "unauthorized",
      `${request.service} ${request.method} ${
        new URL(request.url).pathname
      }: no current p2p-access token`,
    );
  }
  try {
    return await call({ ...request, authorization: `Bearer ${token}` });
  } catch (error) {
    if (
      !(error instanceof AuthHttpError && error.status === 401) ||
      bearer.renew === undefined ||
      !await bearer.renew(token, error.message)
    ) throw error;
    return await call({
      ...request,
      authorization: `Bearer ${bearer.token()}`,
    });
  }
}
