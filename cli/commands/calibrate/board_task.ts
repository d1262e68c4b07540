/**
 * `auki-edge calibrate board`: writes the calibration board as a printable
 * SVG at true scale, and prints its definition.
 *
 * @module
 */
import { parseCommand } from "../../args.ts";
import { boardSvg, readBoard } from "../../../calibration/board.ts";
import { type Output, STDIO } from "../../output.ts";

const HELP =
  `Usage: auki-edge calibrate board --out FILE.svg [--board FILE] [--dry-run]

Writes the calibration board as an SVG at true scale (print it at 100%, no
"fit to page", and measure a marker: its side must be marker_size_m) and
prints the board definition. The default board is 5 x 4 ARUCO_MIP_36h12
markers, ids 0-19, 35 mm with 10 mm gaps (A4 landscape).

Options:
  --out FILE     where to write the SVG
  --board FILE   board definition JSON: dictionary (ARUCO_MIP_36h12 or
                 ARUCO), markers_x, markers_y, marker_size_m, marker_gap_m,
                 first_id (default: the default board)
  --dry-run      print what would be written, write nothing
  -h, --help     show this help
`;

/** Runs `calibrate board`; returns the exit code. */
export async function calibrateBoardCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values } = parseCommand({
    name: "calibrate board",
    options: {
      out: { type: "string" },
      board: { type: "string" },
      "dry-run": { type: "boolean" },
    },
  }, argv);
  if (values.help || values.out === undefined) {
    output.out(HELP);
    return values.help ? 0 : 2;
  }
  const board = await readBoard(values.board);
  output.out(`will write ${values.out}: ${JSON.stringify(board)}`);
  if (values["dry-run"]) {
    output.out("dry run: nothing written");
    return 0;
  }
  await Deno.writeTextFile(values.out, boardSvg(board));
  output.out("written; print it at 100% scale");
  return 0;
}
