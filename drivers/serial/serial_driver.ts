/**
 * A sensor driver around a supervised serial device: `start` never fails
 * for an absent device (it is reported offline and retried), `stop` closes
 * the port.
 *
 * @module
 */
import type { SensorDescription, SensorDriver } from "../driver.ts";
import {
  type ProtocolDecoder,
  SerialDevice,
  type SerialDeviceOptions,
} from "./device.ts";

/** A driver publishing what a fresh `decoder()` makes of the device's bytes. */
export function serialDriver(
  description: SensorDescription,
  options: Omit<SerialDeviceOptions, "decoder"> & {
    decoder: () => ProtocolDecoder;
  },
): SensorDriver & { readonly device: SerialDevice | undefined } {
  let device: SerialDevice | undefined;
  return {
    description,
    get device() {
      return device;
    },
    start(sink, context) {
      if (device !== undefined) {
        return Promise.reject(
          new Error(`${description.sensor.sensor_id} is already started`),
        );
      }
      device = new SerialDevice(
        { ...options, decoder: options.decoder() },
        sink,
        context,
      );
      device.start();
      return Promise.resolve();
    },
    async stop() {
      const running = device;
      device = undefined;
      await running?.stop();
    },
  };
}
