/**
 * Signed exports verified offline: intact files pass with the signing peer
 * id; a changed message, channel, metadata record or signature fails even
 * when the file is rewritten with valid CRCs, and so do unsigned and
 * non-MCAP files.
 *
 * @module
 */
import assert from "node:assert/strict";
import { withDir } from "../../helpers/temp_dir.ts";
import { join } from "node:path";
import {
  type IWritable,
  McapStreamReader,
  McapWriter,
  type TypedMcapRecord,
} from "@mcap/core";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { channelFor } from "../../../agent/foxglove/channels.ts";
import { SignedMcapWriter } from "../../../agent/export/signed_writer.ts";
import { SIGNATURE_METADATA } from "../../../agent/export/signature.ts";
import { VerifyError, verifyExport } from "../../../agent/export/verify.ts";

/** Writes a small signed export; returns its path and the signer. */
async function signedExport(
  dir: string,
): Promise<{ path: string; peerId: string }> {
  const key = await generateKeyPair("Ed25519");
  const peerId = peerIdFromPrivateKey(key).toString();
  const path = join(dir, "in.mcap");
  const writer = await SignedMcapWriter.create(path);
  const joints = await writer.addChannel(
    channelFor({ resourceId: "joints", payload: "joint_encoders_frame" })!,
    { resource_id: "joints" },
  );
  const raw = await writer.addChannel(
    { topic: "/blob", raw: "auki_edge/blob" },
    {
      resource_id: "blob",
    },
  );
  await writer.addMetadata("auki_edge.resource", { resource_id: "joints" });
  await writer.addAttachment(
    "registry/sensor/x.json",
    "application/json",
    new TextEncoder().encode("{}"),
  );
  for (let i = 0; i < 50; i++) {
    await writer.addMessage(
      joints,
      1_000n + BigInt(i),
      new Uint8Array([10, 4, 0, 0, 128, 63]),
    );
    await writer.addMessage(
      raw,
      1_000n + BigInt(i),
      new Uint8Array([i, i + 1, i + 2]),
    );
  }
  await writer.finish(key, peerId);
  return { path, peerId };
}

function records(bytes: Uint8Array): TypedMcapRecord[] {
  const reader = new McapStreamReader({ validateCrcs: true });
  reader.append(bytes);
  const out: TypedMcapRecord[] = [];
  for (let r; (r = reader.nextRecord());) out.push(r);
  return out;
}

/** Rewrites an MCAP file record by record with `change` applied, with fresh CRCs and indexes. */
async function rewrite(
  from: string,
  to: string,
  change: (record: TypedMcapRecord) => TypedMcapRecord | undefined,
): Promise<void> {
  const chunks: Uint8Array[] = [];
  let position = 0n;
  const writable: IWritable = {
    position: () => position,
    write: (b: Uint8Array) => {
      chunks.push(b.slice());
      position += BigInt(b.byteLength);
      return Promise.resolve();
    },
  };
  const writer = new McapWriter({ writable });
  let inData = true;
  for (const original of records(await Deno.readFile(from))) {
    const record = change(original);
    if (record === undefined) continue;
    switch (record.type) {
      case "Header":
        await writer.start(record);
        break;
      case "Schema":
        if (inData) await writer.registerSchema(record);
        break;
      case "Channel":
        if (inData) await writer.registerChannel(record);
        break;
      case "Message":
        await writer.addMessage(record);
        break;
      case "Metadata":
        await writer.addMetadata(record);
        break;
      case "Attachment":
        await writer.addAttachment(record);
        break;
      case "DataEnd":
        inData = false;
        break;
    }
  }
  await writer.end();
  const out = new Uint8Array(Number(position));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  await Deno.writeFile(to, out);
}

async function failure(path: string): Promise<string> {
  try {
    await verifyExport(path);
  } catch (error) {
    assert(error instanceof VerifyError, String(error));
    return error.message;
  }
  throw new Error(`${path} verified`);
}

Deno.test("verify: an intact export names its signer; rewriting it unchanged keeps it intact", async () => {
  await withDir(async (dir) => {
    const { path, peerId } = await signedExport(dir);
    const verified = await verifyExport(path);
    assert.equal(verified.peerId, peerId);
    assert.equal(verified.messages, 100);
    assert.equal(verified.channels, 2);
    await rewrite(path, join(dir, "same.mcap"), (r) => r);
    assert.equal((await verifyExport(join(dir, "same.mcap"))).peerId, peerId);
  });
});

Deno.test("verify: changes fail, with valid CRCs too, naming what changed", async () => {
  await withDir(async (dir) => {
    const { path } = await signedExport(dir);
    const out = join(dir, "out.mcap");
    let n = 0;
    await rewrite(path, out, (r) => {
      if (r.type === "Message" && r.channelId === 1 && n++ === 7) {
        const data = r.data.slice();
        data[1] ^= 1;
        return { ...r, data };
      }
      return r;
    });
    assert.match(
      await failure(out),
      /messages of channel 1 \(\/blob\) were changed/,
    );

    await rewrite(
      path,
      out,
      (r) =>
        r.type === "Message" && r.channelId === 0 && r.logTime === 1_010n
          ? { ...r, logTime: 1_011n }
          : r,
    );
    assert.match(
      await failure(out),
      /messages of channel 0 \(\/joints\) were changed/,
    );

    await rewrite(
      path,
      out,
      (r) =>
        r.type === "Message" && r.channelId === 0 && r.logTime === 1_010n
          ? undefined
          : r,
    );
    assert.match(await failure(out), /holds 49 messages; 50 were signed/);

    await rewrite(
      path,
      out,
      (r) =>
        r.type === "Channel" && r.id === 0 ? { ...r, topic: "/elsewhere" } : r,
    );
    assert.match(await failure(out), /channel 0 \(\/joints\) was changed/);

    await rewrite(
      path,
      out,
      (r) =>
        r.type === "Metadata" && r.name === "auki_edge.resource"
          ? { ...r, metadata: new Map([["resource_id", "other"]]) }
          : r,
    );
    assert.match(
      await failure(out),
      /metadata record "auki_edge.resource" was changed/,
    );

    await rewrite(
      path,
      out,
      (r) =>
        r.type === "Attachment"
          ? { ...r, data: new TextEncoder().encode("[]") }
          : r,
    );
    assert.match(
      await failure(out),
      /attachment "registry\/sensor\/x.json" was changed/,
    );

    await rewrite(path, out, (r) => {
      if (r.type !== "Metadata" || r.name !== SIGNATURE_METADATA) return r;
      const signature = new Uint8Array(64);
      return {
        ...r,
        metadata: new Map([...r.metadata, [
          "signature",
          btoa(String.fromCharCode(...signature)),
        ]]),
      };
    });
    assert.match(await failure(out), /is not 12D3KooW\w+'s signature/);

    await rewrite(path, out, (r) => {
      if (r.type !== "Metadata" || r.name !== SIGNATURE_METADATA) return r;
      const statement = r.metadata.get("statement")!.replace(
        '"messages":50',
        '"messages":49',
      );
      return {
        ...r,
        metadata: new Map([...r.metadata, ["statement", statement]]),
      };
    });
    assert.match(await failure(out), /signature/);
  });
});

Deno.test("verify: a flipped byte fails the CRC; unsigned and non-MCAP files are refused", async () => {
  await withDir(async (dir) => {
    const { path } = await signedExport(dir);
    const bytes = await Deno.readFile(path);
    // The raw payloads [i, i+1, i+2] for i = 20: flip one byte of it.
    const at = bytes.findIndex((_, i) =>
      bytes[i] === 20 && bytes[i + 1] === 21 && bytes[i + 2] === 22
    );
    assert(at > 0);
    bytes[at + 1] ^= 0xff;
    await Deno.writeFile(join(dir, "flipped.mcap"), bytes);
    assert.match(await failure(join(dir, "flipped.mcap")), /CRC|crc/);

    await rewrite(
      path,
      join(dir, "unsigned.mcap"),
      (r) =>
        r.type === "Metadata" && r.name === SIGNATURE_METADATA ? undefined : r,
    );
    assert.match(await failure(join(dir, "unsigned.mcap")), /not signed/);

    await Deno.writeTextFile(
      join(dir, "text.mcap"),
      "hello, this is not MCAP\n",
    );
    assert.match(await failure(join(dir, "text.mcap")), /not an MCAP file/);
    await Deno.writeFile(
      join(dir, "short.mcap"),
      bytes.subarray(0, bytes.byteLength / 2),
    );
    assert.match(await failure(join(dir, "short.mcap")), /truncated|damaged/);
  });
});
