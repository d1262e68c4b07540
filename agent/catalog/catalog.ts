/**
 * The live resource catalog: every resource this agent serves, and the rows
 * of those that can accept a stream open now.
 *
 * @module
 */
import type { LogResource } from "./log_resource.ts";
import type { ResourceEntry, Variant } from "./resource_entry.ts";

/** The agent's resources by `resource_id`. */
export class Catalog {
  readonly #resources = new Map<string, LogResource>();

  /** Adds a resource; its id must be unused. */
  add(resource: LogResource): void {
    if (this.#resources.has(resource.id)) {
      throw new Error(`resource "${resource.id}" is already served`);
    }
    this.#resources.set(resource.id, resource);
  }

  /** Removes a resource (it must be offline first to end its streams). */
  delete(id: string): void {
    this.#resources.delete(id);
  }

  /**
   * The resource a stream request names: `source_peer_id` must equal its
   * source, or be empty (legacy subscriptions mean the serving peer).
   */
  lookup(resourceId: string, sourcePeerId: string): LogResource | undefined {
    const resource = this.#resources.get(resourceId);
    if (resource === undefined) return undefined;
    if (sourcePeerId !== "" && sourcePeerId !== resource.sourcePeerId) {
      return undefined;
    }
    return resource;
  }

  /** Every resource, online or not. */
  all(): LogResource[] {
    return [...this.#resources.values()];
  }

  /** Rows of the online resources, optionally only of some variants. */
  rows(variants?: readonly Variant[]): ResourceEntry[] {
    const wanted = variants === undefined || variants.length === 0
      ? undefined
      : new Set(variants);
    return this.all()
      .filter((r) =>
        r.online && (wanted === undefined || wanted.has(r.variant))
      )
      .map((r) => r.row());
  }
}
