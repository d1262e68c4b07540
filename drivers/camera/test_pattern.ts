/**
 * The moving rgb8 test pattern of `sim.camera`. The image depends only on
 * (seed, width, height, frame index): colour bars scrolling right over the
 * top three quarters, a grey ramp scrolling left below them, and a
 * seed-coloured square bouncing around. The first {@link INDEX_PIXELS}
 * pixels of the top row carry the frame index (big-endian bytes as grey
 * levels) so receivers can match frames; see {@link frameIndexOf}.
 *
 * @module
 */
import { seededRandom } from "../sim/random.ts";

/** Pixels at the start of the top row that encode the frame index. */
const INDEX_PIXELS = 4;
/** How far the colour bars (right) and grey ramp (left) scroll per frame, pixels. */
const SCROLL_PX_PER_FRAME = 4;

const BAR_COLOURS = [
  [191, 191, 191],
  [191, 191, 0],
  [0, 191, 191],
  [0, 191, 0],
  [191, 0, 191],
  [191, 0, 0],
  [0, 0, 191],
  [16, 16, 16],
] as const;

/**
 * The moving rgb8 test pattern of one camera (row-major, no row padding),
 * with the rows that do not move precomputed once.
 */
export class TestPattern {
  readonly #width: number;
  readonly #height: number;
  readonly #bars: Uint8Array;
  readonly #ramp: Uint8Array;
  readonly #barsHeight: number;
  readonly #size: number;
  readonly #speed: number;
  readonly #phase: [number, number];
  readonly #squareRow: Uint8Array;

  /** The pattern of a `width` x `height` camera with `seed`. */
  constructor(width: number, height: number, seed: number) {
    const random = seededRandom(seed);
    this.#width = width;
    this.#height = height;
    this.#barsHeight = Math.ceil(height * 3 / 4);
    const rotation = Math.floor(random.next() * BAR_COLOURS.length);
    this.#bars = pixelRow(2 * width, (x) =>
      BAR_COLOURS[
        (Math.floor((x % width) * BAR_COLOURS.length / width) + rotation) %
        BAR_COLOURS.length
      ]);
    this.#ramp = pixelRow(2 * width, (x) => {
      const grey = Math.floor((x % width) * 256 / width);
      return [grey, grey, grey];
    });
    this.#size = Math.max(4, Math.round(Math.min(width, height) / 6));
    this.#speed = Math.max(1, Math.round(width / 320));
    this.#phase = [random.next(), random.next()];
    const colour = [0, 0, 0].map(() => Math.floor(random.next() * 256));
    this.#squareRow = pixelRow(this.#size, () => colour);
  }

  /** Bytes of one frame. */
  get frameBytes(): number {
    return this.#width * this.#height * 3;
  }

  /** Writes frame number `index` into `frame` ({@link frameBytes} long). */
  renderInto(frame: Uint8Array, index: number): void {
    const width = this.#width;
    const height = this.#height;
    const rowBytes = width * 3;
    const shift = (index * SCROLL_PX_PER_FRAME) % width;
    frame.set(
      this.#bars.subarray((width - shift) * 3, (2 * width - shift) * 3),
    );
    repeatRow(frame, rowBytes, 0, this.#barsHeight);
    frame.set(
      this.#ramp.subarray(shift * 3, (width + shift) * 3),
      this.#barsHeight * rowBytes,
    );
    repeatRow(frame, rowBytes, this.#barsHeight, height);
    const size = this.#size;
    const x0 = bounce(width - size, index, this.#speed, this.#phase[0]);
    const y0 = bounce(height - size, index, this.#speed, this.#phase[1]);
    for (let y = y0; y < y0 + size; y++) {
      frame.set(this.#squareRow, y * rowBytes + x0 * 3);
    }
    for (let i = 0; i < INDEX_PIXELS; i++) {
      frame.fill(
        (index >>> (8 * (INDEX_PIXELS - 1 - i))) & 0xff,
        i * 3,
        i * 3 + 3,
      );
    }
  }
}

/** The rgb8 test pattern frame number `index` (row-major, no row padding). */
export function renderTestPattern(
  width: number,
  height: number,
  seed: number,
  index: number,
): Uint8Array {
  const pattern = new TestPattern(width, height, seed);
  const frame = new Uint8Array(pattern.frameBytes);
  pattern.renderInto(frame, index);
  return frame;
}

/** The frame index encoded in a frame by {@link renderTestPattern} (modulo 2^32). */
export function frameIndexOf(frame: Uint8Array): number {
  let index = 0;
  for (let i = 0; i < INDEX_PIXELS; i++) index = index * 256 + frame[i * 3];
  return index;
}

/** `n` rgb8 pixels, pixel `x` being `colourAt(x)`. */
function pixelRow(
  n: number,
  colourAt: (x: number) => readonly number[],
): Uint8Array {
  const row = new Uint8Array(n * 3);
  for (let x = 0; x < n; x++) row.set(colourAt(x), x * 3);
  return row;
}

/** Copies row `first` of `frame` over the rows after it, up to row `end`. */
function repeatRow(
  frame: Uint8Array,
  rowBytes: number,
  first: number,
  end: number,
): void {
  const start = first * rowBytes;
  for (let filled = 1; filled < end - first;) {
    const rows = Math.min(filled, end - first - filled);
    frame.copyWithin(start + filled * rowBytes, start, start + rows * rowBytes);
    filled += rows;
  }
}

/** A position in [0, range] moving `speed` per frame, reflecting at the ends. */
function bounce(
  range: number,
  index: number,
  speed: number,
  phase: number,
): number {
  if (range === 0) return 0;
  const t = (index * speed + Math.floor(phase * 2 * range)) % (2 * range);
  return t <= range ? t : 2 * range - t;
}
