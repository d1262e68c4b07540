/**
 * Distinct names for the upstream payload messages that are all called
 * `Data` in their own packages.
 *
 * @module
 */
export { DataSchema as AudioDataSchema } from "./gen/auki/audio_pb.ts";
export { DataSchema as JointEncodersDataSchema } from "./gen/auki/joint_encoders_pb.ts";
export { DataSchema as PointCloudDataSchema } from "./gen/auki/point_cloud_pb.ts";
export { DataSchema as ScalarDataSchema } from "./gen/auki/scalar_pb.ts";
