/**
 * Rigid transforms and rotations (spec datatypes.md 2.5: `p_to = R * p_from
 * + t`, Hamilton quaternions `(x, y, z, w)`), roll/pitch/yaw as intrinsic
 * Z-Y-X (`R = Rz(yaw) * Ry(pitch) * Rx(roll)`, the ROS / URDF convention),
 * and Rodrigues vectors for OpenCV.
 *
 * @module
 */

/** A 3-vector. */
export type Vec3 = [number, number, number];
/** A unit quaternion `[x, y, z, w]`. */
export type Quat = [number, number, number, number];
/** A row-major 3x3 matrix. */
export type Mat3 = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/** A rigid transform: `p_to = R(rotation) * p_from + translation`. */
export interface Rigid {
  /** Translation, in the frame's length unit. */
  translation: Vec3;
  /** Rotation as a unit quaternion. */
  rotation: Quat;
}

/** The identity transform. */
export const IDENTITY: Rigid = {
  translation: [0, 0, 0],
  rotation: [0, 0, 0, 1],
};

/** The quaternion of intrinsic Z-Y-X roll/pitch/yaw, radians. */
export function quatFromRpy(roll: number, pitch: number, yaw: number): Quat {
  const [cr, sr] = [Math.cos(roll / 2), Math.sin(roll / 2)];
  const [cp, sp] = [Math.cos(pitch / 2), Math.sin(pitch / 2)];
  const [cy, sy] = [Math.cos(yaw / 2), Math.sin(yaw / 2)];
  return [
    sr * cp * cy - cr * sp * sy,
    cr * sp * cy + sr * cp * sy,
    cr * cp * sy - sr * sp * cy,
    cr * cp * cy + sr * sp * sy,
  ];
}

/** Intrinsic Z-Y-X roll/pitch/yaw of a quaternion, radians. */
export function rpyFromQuat(q: Quat): Vec3 {
  const [x, y, z, w] = normalizeQuat(q);
  const roll = Math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y));
  const sinPitch = Math.max(-1, Math.min(1, 2 * (w * y - z * x)));
  const pitch = Math.asin(sinPitch);
  const yaw = Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
  return [roll, pitch, yaw];
}

/** `q` scaled to unit length, with `w >= 0`; throws on a zero quaternion. */
export function normalizeQuat(q: Quat): Quat {
  const n = Math.hypot(...q);
  if (!(n > 1e-12) || !Number.isFinite(n)) {
    throw new Error("a quaternion must be finite and not zero");
  }
  const s = q[3] < 0 ? -1 / n : 1 / n;
  return [q[0] * s, q[1] * s, q[2] * s, q[3] * s];
}

/** The rotation matrix of a unit quaternion. */
export function matFromQuat(q: Quat): Mat3 {
  const [x, y, z, w] = normalizeQuat(q);
  return [
    1 - 2 * (y * y + z * z),
    2 * (x * y - z * w),
    2 * (x * z + y * w),
    2 * (x * y + z * w),
    1 - 2 * (x * x + z * z),
    2 * (y * z - x * w),
    2 * (x * z - y * w),
    2 * (y * z + x * w),
    1 - 2 * (x * x + y * y),
  ];
}

/** The unit quaternion of a rotation matrix (Shepperd's method). */
export function quatFromMat(m: Mat3): Quat {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = m;
  const trace = m00 + m11 + m22;
  let q: Quat;
  if (trace > 0) {
    const s = 2 * Math.sqrt(trace + 1);
    q = [(m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s, s / 4];
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    q = [s / 4, (m01 + m10) / s, (m02 + m20) / s, (m21 - m12) / s];
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    q = [(m01 + m10) / s, s / 4, (m12 + m21) / s, (m02 - m20) / s];
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    q = [(m02 + m20) / s, (m12 + m21) / s, s / 4, (m10 - m01) / s];
  }
  return normalizeQuat(q);
}

/** The rotation matrix of a Rodrigues vector (axis times angle, radians). */
export function matFromRodrigues(r: Vec3): Mat3 {
  const angle = Math.hypot(...r);
  if (angle < 1e-15) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const half = angle / 2;
  const s = Math.sin(half) / angle;
  return matFromQuat([r[0] * s, r[1] * s, r[2] * s, Math.cos(half)]);
}

/** `m * v`. */
export function mulMatVec(m: Mat3, v: Vec3): Vec3 {
  return [
    m[0] * v[0] + m[1] * v[1] + m[2] * v[2],
    m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
    m[6] * v[0] + m[7] * v[1] + m[8] * v[2],
  ];
}

/** The Hamilton product `a * b` (rotate by `b`, then by `a`). */
function mulQuat(a: Quat, b: Quat): Quat {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
    aw * bw - ax * bx - ay * by - az * bz,
  ];
}

/** `T(p)`: a point of the from-frame in the to-frame. */
export function applyRigid(t: Rigid, p: Vec3): Vec3 {
  const r = mulMatVec(matFromQuat(t.rotation), p);
  return [
    r[0] + t.translation[0],
    r[1] + t.translation[1],
    r[2] + t.translation[2],
  ];
}

/** `a ∘ b`: first `b` (from → middle), then `a` (middle → to). */
export function composeRigid(a: Rigid, b: Rigid): Rigid {
  return {
    translation: applyRigid(a, b.translation),
    rotation: normalizeQuat(mulQuat(a.rotation, b.rotation)),
  };
}

/** The inverse transform (to → from). */
export function invertRigid(t: Rigid): Rigid {
  const q = normalizeQuat(t.rotation);
  const conjugate: Quat = [-q[0], -q[1], -q[2], q[3]];
  const r = mulMatVec(matFromQuat(conjugate), t.translation);
  return { translation: [-r[0], -r[1], -r[2]], rotation: conjugate };
}
