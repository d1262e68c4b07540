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
      traffic = { subscribers: 0, bytesSent: 0 };
      this.#byResource.set(resourceId, traffic);
    }
    return traffic;
  }

  /** The record of `resourceId`; undefined before its first subscription. */
  get(resourceId: string): ResourceTraffic | undefined {
    return this.#byResource.get(resourceId);
  }
}
