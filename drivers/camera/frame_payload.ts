/**
 * An encoded `auki.camera.CameraFrame` allocated with room for the image, so
 * a driver writes pixels straight into the payload: one buffer per frame,
 * no re-encoding of multi-megabyte images.
 *
 * @module
 */
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

/** A CameraFrame payload and the view of its `frame` bytes to fill. */
export interface CameraFramePayload {
  /** The encoded CameraFrame (no dynamic intrinsics). */
  payload: Uint8Array;
  /** Its image bytes, to fill in place. */
  image: Uint8Array;
}

/**
 * Allocates a CameraFrame whose `frame` field holds `imageBytes` bytes; its
 * encoding equals `toBinary(CameraFrameSchema, {frame})` once filled.
 */
export function allocateCameraFrame(imageBytes: number): CameraFramePayload {
  if (imageBytes === 0) {
    return { payload: new Uint8Array(), image: new Uint8Array() };
  }
  const head = new BinaryWriter().tag(2, WireType.LengthDelimited)
    .uint32(imageBytes).finish();
  const payload = new Uint8Array(head.byteLength + imageBytes);
  payload.set(head);
  return { payload, image: payload.subarray(head.byteLength) };
}
