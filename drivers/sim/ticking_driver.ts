/**
 * The shared shape of every simulated driver: announce the device online,
 * then on each tick of a drift-free {@link Ticker} read the UTC clock (the
 * capture instant) and deliver the payload computed for that tick index,
 * either at once or, for an {@link AsyncTickSource} (large frames rendered
 * on a worker), once it is ready, in tick order.
 *
 * @module
 */
import { errorMessage, rateLimited } from "../../core/logging.ts";
import type { SensorDescription, SensorDriver } from "../driver.ts";
import { Ticker } from "./ticker.ts";

/** Payloads computed away from the event loop. */
export interface AsyncTickSource {
  /** Prepares the source; called on start. */
  open(): Promise<void>;
  /** The payload of tick `index`; asked in index order, answered in it. */
  produce(index: number): Promise<Uint8Array>;
  /** Releases the source; called on stop. Pending payloads never arrive. */
  close(): void;
}

/**
 * Ticks an {@link AsyncTickSource} may be behind: a tick beyond them is
 * skipped, as a camera drops frames its pipeline has no buffer for.
 */
export const MAX_TICKS_IN_FLIGHT = 2;

/** A driver producing `produce(index)` at `description.rateHz`, index 0 first. */
export function tickingDriver(
  description: SensorDescription,
  produce: ((index: number) => Uint8Array) | AsyncTickSource,
): SensorDriver {
  const source = typeof produce === "function" ? undefined : produce;
  let ticker: Ticker | undefined;
  const stop = () => {
    ticker?.stop();
    ticker = undefined;
    source?.close();
  };
  return {
    description,
    async start(sink, context) {
      if (ticker !== undefined) {
        throw new Error(`${description.sensor.sensor_id} is already started`);
      }
      await source?.open();
      sink.online();
      const fail = (index: number, error: unknown) => {
        stop();
        const detail = errorMessage(error);
        context.logger.error(`sample ${index} failed: ${detail}`);
        sink.offline("producer_error", detail);
      };
      const skipped = rateLimited(
        5_000,
        (m) => context.logger.warn(m),
      );
      let inFlight = 0;
      let delivered = Promise.resolve();
      const current = new Ticker(description.rateHz, (index) => {
        const timestampNs = context.now();
        if (source === undefined) {
          let payload: Uint8Array;
          try {
            payload = (produce as (index: number) => Uint8Array)(index);
          } catch (error) {
            return fail(index, error);
          }
          return sink.sample(payload, timestampNs);
        }
        if (inFlight >= MAX_TICKS_IN_FLIGHT) {
          return skipped(
            `frame ${index} skipped: rendering is ${inFlight} frames behind`,
          );
        }
        inFlight++;
        const payload = source.produce(index);
        // Handled in turn below; a rejection must not count as unhandled meanwhile.
        payload.catch(() => {});
        delivered = delivered.then(() => payload).then(
          (payload) => {
            if (ticker === current) sink.sample(payload, timestampNs);
          },
          (error) => {
            if (ticker === current) fail(index, error);
          },
        ).finally(() => inFlight--);
      });
      ticker = current;
      current.start();
    },
    stop() {
      stop();
      return Promise.resolve();
    },
  };
}
