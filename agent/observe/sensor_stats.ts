/**
 * What a hosted sensor has done since the agent started: samples and bytes
 * recorded, errors, and why it last went offline. The sample path only
 * increments numbers; rates are derived elsewhere from these counters.
 *
 * @module
 */

/** Counters of one hosted sensor. */
export class SensorStats {
  /** Samples recorded. */
  samples = 0;
  /** Payload bytes recorded. */
  bytes = 0;
  /** Samples the log refused (disk behind, closed, bad timestamp). */
  recordErrors = 0;
  /** Times the driver reported the device failing or gone (read or decode failures). */
  deviceErrors = 0;
  /** Failed reads the driver's sessions survived. */
  readFailures = 0;
  /** What the last of them said, or null. */
  lastReadFailure: string | null = null;
  /** Why the sensor last went offline; undefined once it produces again. */
  offlineReason: string | undefined = "not producing yet";

  /** Counts one recorded sample of `bytes` payload bytes. */
  record(bytes: number): void {
    this.samples++;
    this.bytes += bytes;
  }

  /** Notes a failed read the session survived. */
  readFailure(detail: string): void {
    this.readFailures++;
    this.lastReadFailure = detail;
  }

  /** Notes that the device produces again. */
  online(): void {
    this.offlineReason = undefined;
  }

  /** Notes that the driver reported the device gone or failing. */
  offline(detail: string): void {
    this.deviceErrors++;
    this.offlineReason = detail;
  }
}
