import assert from "node:assert/strict";
import { join } from "node:path";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import { CalibrationStore } from "../../../../agent/calibration/store.ts";
import { DEFAULT_BOARD } from "../../../../calibration/board.ts";
import { parseCameraInfoYaml } from "../../../../calibration/camera_info_yaml.ts";
import type { GreyImage } from "../../../../core/image.ts";
import { encodePgm } from "../../../../calibration/image_files.ts";
import {
  BoardRenderer,
  calibrationPoses,
  ORDINARY_LENS,
} from "../../../../scripts/harness/board_render.ts";
import { calibrate, storeIsEmpty } from "./_agent.ts";

const [WIDTH, HEIGHT] = [1280, 720];

function png(image: GreyImage): Uint8Array {
  return encodePng({
    width: image.width,
    height: image.height,
    data: image.data,
    channels: 1,
    depth: 8,
  });
}

function rgbJpeg(image: GreyImage): Uint8Array {
  const rgba = new Uint8Array(image.data.length * 4);
  image.data.forEach((v, i) => rgba.set([v, v, v, 255], 4 * i));
  return jpeg.encode(
    { width: image.width, height: image.height, data: rgba },
    95,
  )
    .data;
}

/** A folder of 10 renders of the board through the ordinary lens, as PNG, PGM and JPEG files. */
async function renders(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-cal-images-" });
  const renderer = new BoardRenderer(DEFAULT_BOARD, ORDINARY_LENS, {
    width: WIDTH,
    height: HEIGHT,
  });
  const poses = calibrationPoses(
    DEFAULT_BOARD,
    ORDINARY_LENS,
    WIDTH,
    HEIGHT,
    10,
  );
  for (const [i, pose] of poses.entries()) {
    const image = renderer.render(pose, i);
    const name = `view-${i}`;
    if (i % 3 === 0) await Deno.writeFile(join(dir, `${name}.png`), png(image));
    else if (i % 3 === 1) {
      await Deno.writeFile(join(dir, `${name}.pgm`), encodePgm(image));
    } else await Deno.writeFile(join(dir, `${name}.jpg`), rgbJpeg(image));
  }
  return dir;
}

Deno.test("calibrate camera --images reads PNG, PGM and JPEG files; --export writes camera_info YAML that --import saves back", async () => {
  const images = await renders();
  const storage = await Deno.makeTempDir({ prefix: "auki-edge-cal-" });
  const yaml = join(storage, "cam.yaml");
  try {
    const run = await calibrate([
      "camera",
      "--images",
      images,
      "--sensor-id",
      "cam",
      "--storage",
      storage,
      "--export",
      yaml,
    ]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /outliers rejected: \d+ corners, \d+ views/);
    assert.match(run.stdout, /exported camera_info YAML to /);
    const stored = await new CalibrationStore(storage).get("camera", "cam");
    assert.ok(stored !== undefined);
    assert.equal(stored.distortion_model, "plumb_bob");
    for (const key of ["fx", "fy", "cx", "cy"] as const) {
      const error = Math.abs(stored.calibration[key] - ORDINARY_LENS[key]) /
        ORDINARY_LENS[key];
      assert.ok(error < 0.005, `${key} ${stored.calibration[key]}`);
    }
    const info = parseCameraInfoYaml(await Deno.readTextFile(yaml));
    assert.deepEqual([info.width, info.height, info.name], [
      WIDTH,
      HEIGHT,
      "cam",
    ]);
    assert.deepEqual(info.calibration, stored.calibration);

    const imported = await calibrate([
      "camera",
      "--import",
      yaml,
      "--sensor-id",
      "cam2",
      "--storage",
      storage,
    ]);
    assert.equal(imported.code, 0, imported.stdout + imported.stderr);
    const back = await new CalibrationStore(storage).get("camera", "cam2");
    assert.deepEqual(back?.calibration, stored.calibration);
    assert.equal(back?.distortion_model, "plumb_bob");
    assert.equal(back?.rms_px, undefined);
  } finally {
    await Deno.remove(images, { recursive: true });
    await Deno.remove(storage, { recursive: true });
  }
});

Deno.test("calibrate camera --images refuses mixed sizes, unreadable files, no board and a wrong board in one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-cal-bad-" });
  const storage = await Deno.makeTempDir({ prefix: "auki-edge-cal-" });
  const args = (folder: string, ...more: string[]) => [
    "camera",
    "--images",
    folder,
    "--sensor-id",
    "cam",
    "--storage",
    storage,
    ...more,
  ];
  try {
    const blank = (w: number, h: number) => ({
      width: w,
      height: h,
      data: new Uint8Array(w * h).fill(200),
    });
    const mixed = join(dir, "mixed");
    await Deno.mkdir(mixed);
    await Deno.writeFile(join(mixed, "a.pgm"), encodePgm(blank(64, 48)));
    await Deno.writeFile(join(mixed, "b.pgm"), encodePgm(blank(80, 48)));
    let run = await calibrate(args(mixed));
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /b\.pgm is 80x48 but .*a\.pgm is 64x48/);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);

    const broken = join(dir, "broken");
    await Deno.mkdir(broken);
    await Deno.writeTextFile(join(broken, "x.png"), "not a png");
    run = await calibrate(args(broken));
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /x\.png: not a readable image/);

    const empty = join(dir, "blank");
    await Deno.mkdir(empty);
    await Deno.writeFile(join(empty, "a.pgm"), encodePgm(blank(64, 48)));
    run = await calibrate(args(empty));
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /no calibration board .* in 1 frames/);

    // The board shown is ids 0-19; the definition says 20-39.
    const images = await renders();
    const board = join(dir, "board.json");
    await Deno.writeTextFile(board, JSON.stringify({ first_id: 20 }));
    run = await calibrate(args(images, "--board", board));
    await Deno.remove(images, { recursive: true });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /no calibration board \(dictionary ARUCO_MIP_36h12, ids 20-39\) .*markers 0, 1, 2, .* were seen: is --board the board shown\?/,
    );
    assert.ok(await storeIsEmpty(storage));
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(storage, { recursive: true });
  }
});
