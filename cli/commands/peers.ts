/**
 * `auki-edge peers --domain UUID ...`: the advertisements of an
 * authenticated domain's peers in DDS (their routes and protocols), as a
 * table or JSON.
 *
 * @module
 */
import { listAdvertisements } from "../../agent/genb/advertisements.ts";
import { parseCommand, UsageError } from "../args.ts";
import { AUTH_FLAGS, AUTH_FLAGS_HELP, authSettingsOf } from "../auth_flags.ts";
import { withDomainClient } from "../client.ts";

const HELP =
  `Usage: auki-edge peers --domain UUID --auth-api URL --dds URL --app-key KEY --app-secret-file FILE [--protocol ID] [--json]

Lists the peers that advertise themselves in an authenticated domain (DDS).

Options:
${AUTH_FLAGS_HELP}
  --protocol ID            only peers serving this protocol
                           (e.g. /auki/auth/1/stream/0.2.0)
  --json                   print the advertisements as JSON
  -h, --help               show this help
`;

/** Runs the peers command; returns the exit code. */
export async function peersCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand({
    name: "peers",
    options: {
      ...AUTH_FLAGS,
      protocol: { type: "string" },
      json: { type: "boolean" },
    },
  }, argv);
  if (values.help) {
    console.log(HELP);
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
      listAdvertisements(
        auth.dds,
        auth.domainId,
        client.authority.localToken(),
        {
          protocol: values.protocol,
          selfPeerId: client.node.peerId.toString(),
        },
      ),
  );
  if (values.json) {
    console.log(JSON.stringify({ advertisements: ads }));
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
  console.log(
    [header, ...rows]
      .map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd())
      .join("\n"),
  );
  return 0;
}
