/**
 * Gen-B mode settings: the `auth` section of the configuration and the
 * checks shared with the command-line flags (domain UUID, service URLs,
 * app credentials), and reading the app secret file under the seed's
 * permission rules.
 *
 * @module
 */
import { z } from "zod";
import { fileErrorMessage } from "../../core/logging.ts";
import { sharedAccessProblem } from "../identity/seed_file.ts";
import { serviceUrl } from "./auth_http.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The configuration's `auth` section (gen-B mode). */
export const AuthConfig = z.strictObject({
  domain_id: z.string().regex(UUID, "a lowercase canonical UUID"),
  api: z.url(),
  dds: z.url(),
  dms: z.url().optional(),
  app_key: z.string().min(1).max(256).refine(
    (k) => !k.includes(":"),
    "must not contain ':'",
  ),
  app_secret_file: z.string().min(1),
  advertise: z.boolean().optional(),
  relay_booking: z.boolean().optional(),
});
/** The configuration's `auth` section. */
export type AuthConfig = z.infer<typeof AuthConfig>;

/** Everything gen-B mode needs, checked. */
export interface GenBSettings {
  /** The domain served and joined. */
  domainId: string;
  /** Identity API base URL (ending in `/`). */
  api: string;
  /** DDS base URL (ending in `/`). */
  dds: string;
  /** DMS base URL (ending in `/`), for relay bookings. */
  dms?: string;
  /** App access key. */
  appKey: string;
  /** App secret (read from its file). */
  appSecret: string;
  /** Whether to publish DDS advertisements. */
  advertise: boolean;
  /** Whether to book relay slots through DMS (needs `dms`). */
  relayBooking: boolean;
}

/** Checks a domain id: a lowercase canonical UUID. Throws a one-line message. */
export function parseDomainId(raw: string): string {
  if (!UUID.test(raw)) {
    throw new Error(`"${raw}" is not a lowercase canonical UUID`);
  }
  return raw;
}

/** Parses a service base URL (see {@link serviceUrl}). */
export function parseServiceUrl(raw: string): string {
  return serviceUrl(raw, "URL");
}

/**
 * Reads the app secret: the file's content without a trailing newline,
 * refused when group or others may access it (as the seed) or when empty.
 */
export async function readAppSecret(path: string): Promise<string> {
  let info: Deno.FileInfo;
  let text: string;
  try {
    info = await Deno.stat(path);
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`app secret file ${path}: ${fileErrorMessage(error)}`);
  }
  const shared = sharedAccessProblem("app secret file", path, info.mode ?? 0);
  if (shared !== undefined) throw new Error(shared);
  const secret = text.replace(/\r?\n$/, "");
  const bytes = new TextEncoder().encode(secret).byteLength;
  if (bytes === 0 || bytes > 1024) {
    throw new Error(
      `app secret file ${path} holds ${bytes} bytes; a secret is 1-1024 bytes`,
    );
  }
  return secret;
}
