/**
 * The shared shape of every simulated driver: announce the device online,
 * then on each tick of a drift-free {@link Ticker} read the UTC clock (the
 * capture instant) and deliver the payload computed for that tick index.
 *
 * @module
 */
import type { SensorDescription, SensorDriver } from "../driver.ts";
import { Ticker } from "./ticker.ts";

/** A driver producing `produce(index)` at `description.rateHz`, index 0 first. */
export function tickingDriver(
  description: SensorDescription,
  produce: (index: number) => Uint8Array,
): SensorDriver {
  let ticker: Ticker | undefined;
  const stop = () => {
    ticker?.stop();
    ticker = undefined;
  };
  return {
    description,
    start(sink, context) {
      if (ticker !== undefined) {
        return Promise.reject(
          new Error(`${description.sensor.sensor_id} is already started`),
        );
      }
      sink.online();
      const current = new Ticker(description.rateHz, (index) => {
        const timestampNs = context.now();
        let payload: Uint8Array;
        try {
          payload = produce(index);
        } catch (error) {
          stop();
          const detail = error instanceof Error ? error.message : String(error);
          context.logger.error(`sample ${index} failed: ${detail}`);
          sink.offline("producer_error", detail);
          return;
        }
        sink.sample(payload, timestampNs);
      });
      ticker = current;
      current.start();
      return Promise.resolve();
    },
    stop() {
      stop();
      return Promise.resolve();
    },
  };
}
