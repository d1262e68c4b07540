/**
 * The requester's error for a dropped request: a cluster protocol's says how
 * to join, an authenticated (gen-B) protocol's does not point at clusters.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DroppedRequestError } from "../../../agent/protocols/exchange.ts";
import { RESOURCES } from "../../../agent/protocols/ids.ts";
import { AUTH_RESOURCES_V2 } from "../../../agent/genb/ids.ts";

Deno.test("DroppedRequestError: the join hint only for cluster protocols", () => {
  assert.match(
    new DroppedRequestError(RESOURCES).message,
    /^\/auki\/resources\/\S+: the peer dropped the request without an answer \(.*join with --discovery URL --cluster NAME\)$/,
  );
  assert.equal(
    new DroppedRequestError(AUTH_RESOURCES_V2).message,
    `${AUTH_RESOURCES_V2}: the peer dropped the request without an answer`,
  );
});
