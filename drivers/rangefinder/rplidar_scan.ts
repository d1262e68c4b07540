/**
 * Assembles RPLIDAR measurement nodes into revolutions. A revolution starts
 * at a node with the start flag; nodes before the first start flag after a
 * (re)start are dropped. Should a start node be lost (a corrupt stretch),
 * the revolution is closed once the nodes have covered more than 365
 * degrees, so two turns are never published as one; a start flag less than
 * half a turn into a revolution is taken for a glitch. A revolution is timestamped when its
 * start node arrived and lasts until the next start node arrived. Nodes with distance 0 (no return) are dropped; the
 * intensity is the node's quality, 0-63. The points use `ld06_scan.ts`'s
 * conventions (angles clockwise seen from above, `x = d cos a`,
 * `y = -d sin a` in the sensor's ros_body frame).
 *
 * @module
 */
import type { Scan, ScanPoint } from "./ld06_scan.ts";
import {
  ANGLE_Q6_TURN,
  MAX_STEP_Q6,
  type RplidarNode,
} from "./rplidar_protocol.ts";

/** Collects nodes into revolutions. */
export class RevolutionAssembler {
  #points: ScanPoint[] = [];
  #started = false;
  #startNs = 0n;
  #travelQ6 = 0;
  #lastQ6 = 0;

  /** Adds `node`, which arrived at `arrivalNs`; returns the revolution it completed, if any. */
  push(node: RplidarNode, arrivalNs: bigint): Scan | undefined {
    let done: Scan | undefined;
    if (!this.#started) {
      if (!node.start) return undefined;
      this.#begin(node, arrivalNs);
    } else {
      const step = (node.angleQ6 - this.#lastQ6 + ANGLE_Q6_TURN) %
        ANGLE_Q6_TURN;
      // A step back (by less than half a turn) is jitter, not travel.
      if (step < ANGLE_Q6_TURN / 2) this.#travelQ6 += step;
      this.#lastQ6 = node.angleQ6;
      if (
        (node.start && this.#travelQ6 > ANGLE_Q6_TURN / 2) ||
        this.#travelQ6 > ANGLE_Q6_TURN + MAX_STEP_Q6
      ) {
        done = {
          timestampNs: this.#startNs,
          durationNs: arrivalNs - this.#startNs,
          points: this.#points,
        };
        this.#begin(node, arrivalNs);
      }
    }
    if (node.distanceQ2 > 0) {
      this.#points.push({
        angleDeg: node.angleQ6 / 64,
        distanceMm: node.distanceQ2 / 4,
        intensity: node.quality,
      });
    }
    return done;
  }

  #begin(node: RplidarNode, arrivalNs: bigint): void {
    this.#started = true;
    this.#points = [];
    this.#startNs = arrivalNs;
    this.#travelQ6 = 0;
    this.#lastQ6 = node.angleQ6;
  }

  /** Starts over: nodes up to the next start flag are dropped. */
  reset(): void {
    this.#points = [];
    this.#started = false;
    this.#travelQ6 = 0;
  }
}
