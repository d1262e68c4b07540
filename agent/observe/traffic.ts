/**
 * Subscriptions per resource and what was sent on them, counted by the
 * stream producer with plain number increments.
 *
 * @module
 */

/** The traffic of one resource's subscriptions. */
export interface ResourceTraffic {
  /** Subscriptions open now. */
  subscribers: number;
  /** Entries sent since the agent started. */
  entriesSent: number;
  /** Bytes sent (frame heads and payloads) since the agent started. */
  bytesSent: number;
}

/** Traffic by `resource_id`. */
export class StreamTraffic {
  readonly #byResource = new Map<string, ResourceTraffic>();

  /** The record of `resourceId`, created on first use. */
  of(resourceId: string): ResourceTraffic {
    let traffic = this.#byResource.get(resourceId);
    if (traffic === undefined) {
      traffic = { subscribers: 0, entriesSent: 0, bytesSent: 0 };
      this.#byResource.set(resourceId, traffic);
    }
    return traffic;
  }

  /** Every resource that had a subscription, with its traffic. */
  entries(): [string, ResourceTraffic][] {
    return [...this.#byResource.entries()];
  }
}
