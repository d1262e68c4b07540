/**
 * Offline verification of a signed export: every record of the file is
 * read (a full scan, checking MCAP's CRCs), the statement is recomputed from
 * the records themselves and compared with the signed one, and the
 * signature is checked against the public key in the signing peer id.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { McapStreamReader } from "@mcap/core";
import { peerIdFromString } from "@libp2p/peer-id";
import { canonicalJson, parseJson } from "../../core/codec/json.ts";
import { errorMessage } from "../../core/logging.ts";
import {
  ConflictingRecordError,
  ExportDigest,
  SIGNATURE_METADATA,
  SIGNATURE_SCHEME,
  type Statement,
} from "./signature.ts";

/** Why a file is not an intact signed export; the message says what failed. */
export class VerifyError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "VerifyError";
  }
}

/** An intact export. */
export interface Verified {
  /** The signing peer. */
  peerId: string;
  /** Channels in the file. */
  channels: number;
  /** Messages in the file. */
  messages: number;
}

const READ_BYTES = 4 * 1024 * 1024;

/** Verifies the export at `path`; throws {@link VerifyError} naming what failed. */
export async function verifyExport(path: string): Promise<Verified> {
  const digest = new ExportDigest();
  const reader = new McapStreamReader({ validateCrcs: true });
  let profile: string | undefined;
  let signature: Map<string, string> | undefined;
  let messages = 0;
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(READ_BYTES);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    reader.append(buffer.slice(0, n));
    for (;;) {
      let record;
      try {
        record = reader.nextRecord();
      } catch (error) {
        throw new VerifyError(
          profile === undefined
            ? `not an MCAP file (${errorMessage(error)})`
            : `the MCAP structure is damaged: ${errorMessage(error)}`,
        );
      }
      if (record === undefined) break;
      switch (record.type) {
        case "Header":
          profile = record.profile;
          break;
        case "Schema":
          digest.schema(record);
          break;
        case "Channel":
          try {
            digest.channel(record);
          } catch (error) {
            if (!(error instanceof ConflictingRecordError)) throw error;
            throw new VerifyError(error.message);
          }
          break;
        case "Message":
          if (!digest.message(record)) {
            throw new VerifyError(
              `a message refers to channel ${record.channelId}, which has no channel record`,
            );
          }
          messages++;
          break;
        case "Metadata":
          if (record.name !== SIGNATURE_METADATA) digest.metadata(record);
          else if (signature !== undefined) {
            throw new VerifyError("the file holds two signature records");
          } else signature = record.metadata;
          break;
        case "Attachment":
          digest.attachment(record);
          break;
      }
    }
  }
  if (profile === undefined) throw new VerifyError("not an MCAP file");
  if (!reader.done()) {
    throw new VerifyError("the MCAP file is truncated");
  }
  if (signature === undefined) {
    throw new VerifyError(
      `not signed: no ${SIGNATURE_METADATA} metadata record`,
    );
  }
  const signed = await checkSignature(signature);
  compare(signed, digest.statement(signed.peer_id, profile));
  return {
    peerId: signed.peer_id,
    channels: signed.channels.length,
    messages,
  };
}

/** Checks the signature record; returns the signed statement. */
async function checkSignature(record: Map<string, string>): Promise<Statement> {
  const text = record.get("statement");
  const signatureText = record.get("signature");
  if (text === undefined || signatureText === undefined) {
    throw new VerifyError(
      "the signature record lacks its statement or signature",
    );
  }
  let statement: Statement;
  try {
    statement = parseJson(text) as Statement;
  } catch (error) {
    throw new VerifyError(
      `the signed statement is not JSON: ${errorMessage(error)}`,
    );
  }
  if (statement.scheme !== SIGNATURE_SCHEME) {
    throw new VerifyError(
      `unknown signature scheme "${statement.scheme}" (expected ${SIGNATURE_SCHEME})`,
    );
  }
  if (record.get("peer_id") !== statement.peer_id) {
    throw new VerifyError(
      "the signature record names another peer than its statement",
    );
  }
  let publicKey;
  try {
    publicKey = peerIdFromString(statement.peer_id).publicKey;
  } catch (error) {
    throw new VerifyError(
      `"${statement.peer_id}" is not a peer id: ${errorMessage(error)}`,
    );
  }
  if (publicKey === undefined) {
    throw new VerifyError(
      `peer id ${statement.peer_id} does not hold a public key`,
    );
  }
  const valid = await publicKey.verify(
    new TextEncoder().encode(text),
    new Uint8Array(Buffer.from(signatureText, "base64")),
  );
  if (!valid) {
    throw new VerifyError(
      `the signature is not ${statement.peer_id}'s signature of the statement (the signature or the statement was changed)`,
    );
  }
  return statement;
}

/** Throws naming the first difference between the signed and the recomputed statement. */
function compare(signed: Statement, actual: Statement): void {
  if (canonicalJson(signed) === canonicalJson(actual)) return;
  if (signed.profile !== actual.profile) {
    throw new VerifyError("the MCAP header profile was changed");
  }
  const actualById = new Map(actual.channels.map((c) => [c.id, c]));
  for (const want of signed.channels) {
    const got = actualById.get(want.id);
    const name = `channel ${want.id} (${want.topic})`;
    if (got === undefined) throw new VerifyError(`${name} was removed`);
    if (got.record !== want.record) {
      throw new VerifyError(
        `${name} was changed (its topic, encoding, metadata or schema)`,
      );
    }
    if (got.messages !== want.messages) {
      throw new VerifyError(
        `${name} holds ${got.messages} messages; ${want.messages} were signed`,
      );
    }
    if (got.digest !== want.digest) {
      throw new VerifyError(`messages of ${name} were changed`);
    }
    actualById.delete(want.id);
  }
  for (const extra of actualById.values()) {
    throw new VerifyError(`channel ${extra.id} (${extra.topic}) was added`);
  }
  for (
    const [what, want, got] of [
      ["metadata record", signed.metadata, actual.metadata],
      ["attachment", signed.attachments, actual.attachments],
    ] as const
  ) {
    for (let i = 0; i < Math.max(want.length, got.length); i++) {
      if (want[i] === undefined) {
        throw new VerifyError(`${what} "${got[i].name}" was added`);
      }
      if (got[i]?.digest !== want[i].digest) {
        throw new VerifyError(
          `${what} "${want[i].name}" was changed or removed`,
        );
      }
    }
  }
  throw new VerifyError("the file differs from what was signed");
}
