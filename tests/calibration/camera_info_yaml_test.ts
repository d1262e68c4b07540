import assert from "node:assert/strict";
import {
  cameraInfoYaml,
  parseCameraInfoYaml,
} from "../../calibration/camera_info_yaml.ts";

/** camera_info as ROS camera_calibration writes it (ost.yaml). */
const ROS_YAML = `image_width: 640
image_height: 480
camera_name: narrow_stereo
camera_matrix:
  rows: 3
  cols: 3
  data: [430.21554, 0.0, 306.6913, 0.0, 430.53169, 227.22702, 0.0, 0.0, 1.0]
distortion_model: plumb_bob
distortion_coefficients:
  rows: 1
  cols: 5
  data: [-0.337628, 0.096796, 0.000000, -0.000000, 0.0]
rectification_matrix:
  rows: 3
  cols: 3
  data: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
projection_matrix:
  rows: 3
  cols: 4
  data: [345.4, 0.0, 304.6, 0.0, 0.0, 382.6, 225.6, 0.0, 0.0, 0.0, 1.0, 0.0]
`;

Deno.test("camera_info YAML from ROS camera_calibration is read, and what we write reads back the same", () => {
  const info = parseCameraInfoYaml(ROS_YAML);
  assert.deepEqual(info, {
    name: "narrow_stereo",
    width: 640,
    height: 480,
    distortionModel: "plumb_bob",
    calibration: {
      fx: 430.21554,
      fy: 430.53169,
      cx: 306.6913,
      cy: 227.22702,
      distortion_coefficients: [-0.337628, 0.096796, 0, -0, 0],
    },
  });
  const fisheye = { ...info, distortionModel: "equidistant" as const };
  fisheye.calibration = {
    ...info.calibration,
    distortion_coefficients: [0.1, -0.02, 0.003, -0.0004],
  };
  const text = cameraInfoYaml(fisheye);
  assert.match(text, /distortion_model: equidistant\n/);
  assert.match(
    text,
    /projection_matrix:\n {2}rows: 3\n {2}cols: 4\n {2}data: \[/,
  );
  assert.deepEqual(parseCameraInfoYaml(text), fisheye);
});

Deno.test("camera_info YAML with a wrong key says which", () => {
  assert.throws(
    () => parseCameraInfoYaml(ROS_YAML.replace("cols: 5", "cols: 4")),
    /distortion_coefficients: data must hold rows x cols numbers/,
  );
  assert.throws(
    () => parseCameraInfoYaml(ROS_YAML.replace("plumb_bob", "pinhole")),
    /distortion_model: /,
  );
  assert.throws(() => parseCameraInfoYaml("image_width: [1"), /not YAML/);
});
