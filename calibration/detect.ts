/**
 * Finding the board in a grey image: js-aruco2 finds the markers and reads
 * their ids, markers touching the image border are dropped (counted),
 * {@link refineCorners} moves the corners to sub-pixel edge intersections
 * in linear light, and the corners of the board's own marker ids become
 * board-to-image correspondences.
 *
 * @module
 */
import aruco from "js-aruco2";
import cvModule from "js-aruco2/src/cv.js";
import type { BoardDefinition } from "./board.ts";
import { markerCorners } from "./board.ts";
import type { Vec3 } from "./geometry.ts";
import type { GreyImage } from "../core/image.ts";
import { linearImage } from "./linear_light.ts";
import { refineCorners } from "./refine.ts";

const CV = cvModule.CV;

/** Misread code bits a marker may have and still count (the dictionaries tell ids at least 3 bits apart). */
const MAX_BIT_ERRORS = 1;

/** One detected marker: its id and refined corners (TL, TR, BR, BL of the marker), pixels. */
export interface DetectedMarker {
  /** Marker id in the dictionary. */
  id: number;
  /** Corner pixels. */
  corners: [number, number][];
}

/** Board points matched to image points in one view. */
export interface BoardView {
  /** Ids of the board markers seen. */
  ids: number[];
  /** Marker corners in the board frame, meters. */
  objectPoints: Vec3[];
  /** The same corners in the image, pixels. */
  imagePoints: [number, number][];
}

/** Markers with a corner this close to the image border are dropped (they may be cut), pixels. */
export const BORDER_PX = 5;

/** What {@link detectMarkers} found, and how many markers it dropped. */
export interface MarkerDetection {
  /** The markers kept, corners refined. */
  markers: DetectedMarker[];
  /** Markers dropped for a corner within {@link BORDER_PX} of the image border. */
  atBorder: number;
  /** Markers dropped because a corner could not be refined. */
  unrefined: number;
}

/**
 * Finds the markers of `dictionary` in `image` (encoded with `colorSpace`'s
 * transfer curve), corners refined in linear light; markers touching the
 * image border or whose corners cannot be refined are dropped and counted.
 */
export function detectMarkers(
  image: GreyImage,
  dictionary: string,
  colorSpace = "srgb",
): MarkerDetection {
  const { inside, atBorder } = splitAtBorder(
    findMarkers(image, dictionary),
    image.width,
    image.height,
  );
  const linear = linearImage(image, colorSpace);
  const markers: DetectedMarker[] = [];
  for (const marker of inside) {
    const corners = refineCorners(linear, marker.corners);
    if (corners !== undefined) markers.push({ id: marker.id, corners });
  }
  return {
    markers,
    atBorder: atBorder.length,
    unrefined: inside.length - markers.length,
  };
}

/** The markers js-aruco2 reads in `image`, with its unrefined corners. */
export function findMarkers(
  image: GreyImage,
  dictionary: string,
): DetectedMarker[] {
  const detector = new aruco.AR.Detector({
    dictionaryName: dictionary,
    maxHammingDistance: MAX_BIT_ERRORS + 1,
  });
  const grey = new CV.Image(image.width, image.height, image.data);
  const thresholded = new CV.Image(
    image.width,
    image.height,
    new Uint8Array(image.width * image.height),
  );
  CV.adaptiveThreshold(grey, thresholded, 2, 7);
  const contours = CV.findContours(thresholded, []);
  let candidates = detector.findCandidates(
    contours,
    image.width * 0.01,
    0.05,
    10,
  );
  candidates = detector.clockwiseCorners(candidates);
  candidates = detector.notTooNear(candidates, 10);
  const markers: { id: number; corners: { x: number; y: number }[] }[] =
    detector.findMarkers(grey, candidates, 49);
  return markers.map((m) => ({
    id: m.id,
    corners: m.corners.map((c) => [c.x, c.y] as [number, number]),
  }));
}

/**
 * `markers` split into those inside the image and those with a corner within
 * {@link BORDER_PX} of the border of a `width` x `height` image (they may be
 * cut: their corners would be pixels off).
 */
export function splitAtBorder(
  markers: readonly DetectedMarker[],
  width: number,
  height: number,
): { inside: DetectedMarker[]; atBorder: DetectedMarker[] } {
  const near = ([x, y]: [number, number]) =>
    !(x >= BORDER_PX && y >= BORDER_PX && x <= width - 1 - BORDER_PX &&
      y <= height - 1 - BORDER_PX);
  const inside: DetectedMarker[] = [];
  const atBorder: DetectedMarker[] = [];
  for (const marker of markers) {
    (marker.corners.some(near) ? atBorder : inside).push(marker);
  }
  return { inside, atBorder };
}

/**
 * The correspondences of the board's markers among `markers`. A marker found
 * twice (its outer and inner border both read) counts once, the larger.
 */
export function boardView(
  board: BoardDefinition,
  markers: DetectedMarker[],
): BoardView {
  const largest = new Map<number, DetectedMarker>();
  for (const marker of markers) {
    const seen = largest.get(marker.id);
    if (seen === undefined || perimeter(marker) > perimeter(seen)) {
      largest.set(marker.id, marker);
    }
  }
  const view: BoardView = { ids: [], objectPoints: [], imagePoints: [] };
  for (const marker of largest.values()) {
    const corners = markerCorners(board, marker.id);
    if (corners === undefined) continue;
    view.ids.push(marker.id);
    view.objectPoints.push(...corners);
    view.imagePoints.push(...marker.corners);
  }
  return view;
}

function perimeter(marker: DetectedMarker): number {
  return marker.corners.reduce((sum, [x, y], i) => {
    const [nx, ny] = marker.corners[(i + 1) % 4];
    return sum + Math.hypot(nx - x, ny - y);
  }, 0);
}
