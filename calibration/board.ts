/**
 * The calibration target: a planar grid of ArUco markers with known ids and
 * positions. Marker `i` (row-major from the top left) has id `first_id + i`;
 * the board frame has its origin at the top-left corner of the first marker,
 * x to the right, y down and z into the board (a camera looking straight at
 * it sees it upright), in meters. Each marker's corners are listed top-left,
 * top-right, bottom-right, bottom-left, as js-aruco2 reports them.
 *
 * @module
 */
import { z } from "zod";
import aruco from "js-aruco2";
import type { Vec3 } from "./geometry.ts";

/** The js-aruco2 dictionaries a board can use. */
const DICTIONARIES = ["ARUCO_MIP_36h12", "ARUCO"] as const;

/** A board definition (all lengths in meters). */
export const BoardDefinition = z.strictObject({
  dictionary: z.enum(DICTIONARIES).default("ARUCO_MIP_36h12"),
  markers_x: z.number().int().min(2).max(20).default(5),
  markers_y: z.number().int().min(2).max(20).default(4),
  marker_size_m: z.number().positive().max(1).default(0.035),
  marker_gap_m: z.number().positive().max(1).default(0.01),
  first_id: z.number().int().min(0).default(0),
}).refine(
  (b) => b.first_id + b.markers_x * b.markers_y <= dictionarySize(b.dictionary),
  "the board's marker ids must exist in its dictionary",
);
/** A board definition. */
export type BoardDefinition = z.output<typeof BoardDefinition>;

/** The default board: 5 x 4 markers of 35 mm, 10 mm apart (fits A4 landscape). */
export const DEFAULT_BOARD: BoardDefinition = BoardDefinition.parse({});

/** Reads a board definition from a JSON file (absent: the default board). */
export async function readBoard(path?: string): Promise<BoardDefinition> {
  if (path === undefined) return DEFAULT_BOARD;
  const parsed = BoardDefinition.safeParse(
    JSON.parse(await Deno.readTextFile(path)),
  );
  if (!parsed.success) {
    throw new Error(
      `board ${path}: ${
        parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)
          .join("; ")
      }`,
    );
  }
  return parsed.data;
}

/** Number of codes in a dictionary. */
function dictionarySize(name: typeof DICTIONARIES[number]): number {
  return aruco.AR.DICTIONARIES[name].codeList.length;
}

/** Width and height of the marker grid, meters. */
export function boardSize(board: BoardDefinition): [number, number] {
  const pitch = board.marker_size_m + board.marker_gap_m;
  return [
    board.markers_x * pitch - board.marker_gap_m,
    board.markers_y * pitch - board.marker_gap_m,
  ];
}

/** The four corners of marker `id` in the board frame, or `undefined` if it is not on the board. */
export function markerCorners(
  board: BoardDefinition,
  id: number,
): Vec3[] | undefined {
  const index = id - board.first_id;
  if (index < 0 || index >= board.markers_x * board.markers_y) return undefined;
  const pitch = board.marker_size_m + board.marker_gap_m;
  const x = (index % board.markers_x) * pitch;
  const y = Math.floor(index / board.markers_x) * pitch;
  const s = board.marker_size_m;
  return [[x, y, 0], [x + s, y, 0], [x + s, y + s, 0], [x, y + s, 0]];
}

/**
 * The module grid of marker `id`: `modules` x `modules` cells, row-major,
 * true where black (a one-module black border around the code bits, whose
 * `1` bits are white).
 */
export function markerModules(
  board: BoardDefinition,
  id: number,
): { modules: number; black: boolean[] } {
  const dictionary = new aruco.AR.Dictionary(board.dictionary);
  const code: string = dictionary.codeList[id];
  const bits = Math.round(Math.sqrt(code.length));
  const modules = bits + 2;
  const black = Array.from({ length: modules * modules }, (_, i) => {
    const x = i % modules - 1;
    const y = Math.floor(i / modules) - 1;
    if (x < 0 || y < 0 || x >= bits || y >= bits) return true;
    return code[y * bits + x] !== "1";
  });
  return { modules, black };
}

/** Ids of every marker on the board. */
export function boardIds(board: BoardDefinition): number[] {
  return Array.from(
    { length: board.markers_x * board.markers_y },
    (_, i) => board.first_id + i,
  );
}

/**
 * The board as a printable SVG at true scale (millimeters), with a white
 * margin of one marker gap around the markers.
 */
export function boardSvg(board: BoardDefinition): string {
  const mm = (m: number) => Math.round(m * 1e6) / 1e3;
  const margin = board.marker_gap_m;
  const [w, h] = boardSize(board);
  const rects: string[] = [];
  for (const id of boardIds(board)) {
    const [[x0, y0]] = markerCorners(board, id)!;
    const { modules, black } = markerModules(board, id);
    const cell = board.marker_size_m / modules;
    black.forEach((isBlack, i) => {
      if (!isBlack) return;
      const x = margin + x0 + (i % modules) * cell;
      const y = margin + y0 + Math.floor(i / modules) * cell;
      rects.push(
        `<rect x="${mm(x)}" y="${mm(y)}" width="${mm(cell)}" height="${
          mm(cell)
        }"/>`,
      );
    });
  }
  const width = mm(w + 2 * margin);
  const height = mm(h + 2 * margin);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}mm" height="${height}mm" viewBox="0 0 ${width} ${height}" shape-rendering="crispEdges">`,
    `<!-- auki-edge calibration board: ${JSON.stringify(board)} -->`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<g fill="black">`,
    ...rects,
    `</g>`,
    `</svg>`,
    "",
  ].join("\n");
}
