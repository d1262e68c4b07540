/**
 * `auki-edge peers --domain UUID ...`: the advertisements of an
 * authenticated domain's peers in DDS (their routes and protocols), as a
 * table or JSON. A listing DDS refuses with a 401 fetches a fresh token
 * and is asked once more.
 *
 * @module
 */
import { listAdvertisements } from "../../agent/genb/advertisements.ts";
import { AuthHttpError } from "../../agent/genb/auth_http.ts";
import { parseCommand, UsageError } from "../args.ts";
import { AUTH_FLAGS, AUTH_FLAGS_HELP, authSettingsOf } from "../auth_flags.ts";
import { withDomainClient } from "../client.ts";
import { type Output, STDIO } from "../output.ts";

const HELP =
  `Usage: auki-edge peers --domain UUID --auth-api URL --dds URL --app-key KEY --app-secret-file FILE [--protocol ID] [--json]

Lists the peers that advertise themselves in an authenticated domain (DDS).
When DDS refuses the p2p-access token (401), a fresh one is fetched and the
listing asked once more.

Options:
${AUTH_FLAGS_HELP}
  --protocol ID            only peers serving this protocol
                           (e.g. /auki/auth/1/stream/0.2.0)
  --json                   print the advertisements as JSON
  -h, --help               show this help
`;

/** Runs the peers command; returns the exit code. */
export async function peersCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values } = parseCommand({
    name: "peers",
    options: {
      ...AUTH_FLAGS,
      protocol: { type: "string" },
      json: { type: "boolean" },
    },
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const auth = await authSettingsOf("peers", values);
  if (auth === undefined) {
    throw new UsageError(
      "peers: --domain: gen-B mode needs --domain, --auth-api, --dds, --app-key and --app-secret-file",
    );
  }
  const ads = await withDomainClient(
    auth,
    (client) =>
      listAdvertisements(auth.dds, auth.domainId, client.bearer, {
        protocol: values.protocol,
        selfPeerId: client.node.peerId.toString(),
      }),
  ).catch((error) => {
    if (error instanceof AuthHttpError && error.status === 401) {
      throw new Error(
        `DDS refused the p2p-access token for domain ${auth.domainId} and a freshly issued one too (${error.message})`,
      );
    }
    throw error;
  });
  if (values.json) {
    output.out(JSON.stringify({ advertisements: ads }));
    return 0;
  }
  const rows = ads.map((ad) => [
    ad.peer_id,
    ad.peer_type ?? "-",
    ad.expires_at,
    ad.routes.join(" "),
  ]);
  const header = ["PEER", "TYPE", "EXPIRES", "ROUTES"];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  output.out(
    [header, ...rows]
      .map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd())
      .join("\n"),
  );
  return 0;
}
