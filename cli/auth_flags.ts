/**
 * The gen-B (authenticated domain) flags shared by `run`, `catalog`,
 * `subscribe`, `export` and `peers`, resolved against the configuration's
 * `auth` section: flags win, and any of them selects gen-B mode, which then
 * needs the domain, both services and the app credentials.
 *
 * @module
 */
import type { AuthConfig, GenBSettings } from "../agent/genb/settings.ts";
import {
  parseDomainId,
  parseServiceUrl,
  readAppSecret,
} from "../agent/genb/settings.ts";
import { checkAppCredentials } from "../agent/genb/credentials.ts";
import { errorMessage } from "../core/logging.ts";
import { flagValue, UsageError } from "./args.ts";
import { clusterOf } from "./cluster_flags.ts";

/** The flag definitions, for `parseCommand` options. */
export const AUTH_FLAGS = {
  domain: { type: "string" },
  "auth-api": { type: "string" },
  dds: { type: "string" },
  dms: { type: "string" },
  "app-key": { type: "string" },
  "app-secret-file": { type: "string" },
} as const;

/** Help lines of {@link AUTH_FLAGS}. */
export const AUTH_FLAGS_HELP =
  `  --domain UUID            the authenticated domain (gen-B mode, /auki/auth/1/...)
  --auth-api URL           Auki identity API (https; http only on loopback)
  --dds URL                Domain Data Service
  --dms URL                Domain Management Service (relay bookings)
  --app-key KEY            app access key
  --app-secret-file FILE   file holding the app secret (mode 0600, as the seed)`;

/** Help lines of the flags only `run` takes in gen-B mode. */
export const RUN_AUTH_FLAGS_HELP =
  `  --advertise              publish this peer's routes to DDS (renewed every 60 s)
  --relay-booking          book a public relay slot through DMS (needs --dms),
                           reserve it and advertise its circuit route; the
                           booking is renewed, and deleted at shutdown`;

/** Flag values as `parseCommand` returns them. */
export type AuthFlagValues = {
  [K in keyof typeof AUTH_FLAGS]?: string;
};

/** Whether any gen-B flag is given. */
function hasAuthFlags(values: AuthFlagValues): boolean {
  return Object.keys(AUTH_FLAGS).some((flag) =>
    values[flag as keyof AuthFlagValues] !== undefined
  );
}

/**
 * The gen-B settings of `command` from its flags over the config's `auth`
 * section; undefined when neither selects gen-B mode. Bad or missing
 * values are usage errors naming the flag.
 */
export async function authSettingsOf(
  command: string,
  values: AuthFlagValues,
  file?: AuthConfig,
  run: { advertise?: boolean; relayBooking?: boolean } = {},
): Promise<GenBSettings | undefined> {
  if (!hasAuthFlags(values) && file === undefined) return undefined;
  const pick = (flag: keyof AuthFlagValues, fromFile?: string) =>
    values[flag] ?? fromFile;
  const raw = {
    domain: pick("domain", file?.domain_id),
    "auth-api": pick("auth-api", file?.api),
    dds: pick("dds", file?.dds),
    "app-key": pick("app-key", file?.app_key),
    "app-secret-file": pick("app-secret-file", file?.app_secret_file),
  };
  const missing = Object.entries(raw).filter(([, v]) => v === undefined)
    .map(([flag]) => `--${flag}`);
  if (missing.length > 0) {
    throw new UsageError(
      `${command}: ${
        missing[0]
      }: gen-B mode needs --domain, --auth-api, --dds, --app-key and --app-secret-file (missing ${
        missing.join(", ")
      })`,
    );
  }
  const dms = pick("dms", file?.dms);
  const appKey = raw["app-key"]!;
  const secretFile = raw["app-secret-file"]!;
  let appSecret: string;
  try {
    appSecret = await readAppSecret(secretFile);
  } catch (error) {
    throw new UsageError(
      `${command}: --app-secret-file: ${errorMessage(error)}`,
    );
  }
  flagValue(
    command,
    "app-key",
    appKey,
    () => checkAppCredentials({ appKey, appSecret }),
  );
  const relayBooking = run.relayBooking || (file?.relay_booking ?? false);
  if (relayBooking && dms === undefined) {
    throw new UsageError(
      `${command}: --relay-booking: relay booking needs a DMS URL (--dms or the config's auth.dms)`,
    );
  }
  return {
    domainId: flagValue(command, "domain", raw.domain!, parseDomainId),
    api: flagValue(command, "auth-api", raw["auth-api"]!, parseServiceUrl),
    dds: flagValue(command, "dds", raw.dds!, parseServiceUrl),
    dms: dms === undefined
      ? undefined
      : flagValue(command, "dms", dms, parseServiceUrl),
    appKey,
    appSecret,
    advertise: run.advertise || (file?.advertise ?? false),
    relayBooking,
  };
}

/**
 * Where a client command (`catalog`, `subscribe`, `export`) reaches its
 * peer: through a generation-A cluster, in an authenticated domain, or
 * directly; cluster and domain flags together are a usage error.
 */
export async function peerAccessOf(
  command: string,
  values: AuthFlagValues & Parameters<typeof clusterOf>[1],
): Promise<{
  cluster: ReturnType<typeof clusterOf>;
  auth: GenBSettings | undefined;
}> {
  const cluster = clusterOf(command, values);
  const auth = await authSettingsOf(command, values);
  if (auth !== undefined && cluster !== undefined) {
    throw new UsageError(
      `${command}: --domain: cluster flags and domain flags cannot be mixed`,
    );
  }
  return { cluster, auth };
}
