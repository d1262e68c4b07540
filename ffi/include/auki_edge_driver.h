/*
 * auki_edge_driver.h: the auki-edge native sensor driver ABI, version 1.
 *
 * A driver is a shared library (.so) exporting the six functions below. The
 * agent loads it with dlopen, checks aed_abi_version(), asks aed_describe()
 * what sensor a configuration produces, then opens it and reads samples, one
 * at a time, into buffers it owns. ffi/README.md is the full contract
 * (lifecycle, threading, memory, errors, payload formats per kind).
 *
 * Everything is little-endian and LP64 (linux x86_64 and aarch64).
 */
#ifndef AUKI_EDGE_DRIVER_H
#define AUKI_EDGE_DRIVER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The ABI's major version; aed_abi_version() returns it. It changes only when
 * an existing function, struct or meaning changes. The ABI grows within it by
 * optional symbols and optional description fields (ffi/README.md,
 * "Versioning"): structs keep their size and layout.
 */
#define AED_ABI_VERSION 1u

/* Negative results of aed_describe() and aed_read(). */
#define AED_E_FAILED (-1)    /* failed: aed_last_error() says why */
#define AED_E_TOO_SMALL (-2) /* buffer too small: meta->needed says how big */
#define AED_E_NO_DEVICE (-3) /* the device is gone (unplugged, powered off) */
#define AED_E_INVALID (-4)   /* a bad argument (NULL handle or buffer) */
#define AED_E_CONFIG (-5)    /* aed_describe(): the configuration is invalid */

/* Clocks of aed_sample_meta.clock: the Linux clockid_t values. */
#define AED_CLOCK_REALTIME 0  /* CLOCK_REALTIME: ns since 1970, UTC */
#define AED_CLOCK_MONOTONIC 1 /* CLOCK_MONOTONIC: the loader converts it */

/* An open sensor; the driver defines it, the agent only passes it back. */
typedef struct aed_driver aed_driver;

/* What aed_read() reports beside the sample bytes (24 bytes). */
typedef struct aed_sample_meta {
  int64_t timestamp_ns; /* capture instant on `clock`, ns: the start of the
                           exposure or sweep, the instant of a reading */
  int32_t clock;        /* AED_CLOCK_REALTIME or AED_CLOCK_MONOTONIC */
  uint32_t flags;       /* reserved for flags the agent may define: write 0 */
  uint64_t needed;      /* with AED_E_TOO_SMALL: bytes the sample needs */
} aed_sample_meta;

/* Returns AED_ABI_VERSION. Must not block. */
uint32_t aed_abi_version(void);

/*
 * Describes the sensor `config_json` (a NUL-terminated JSON object) produces,
 * without touching the device: writes a NUL-terminated JSON description (the
 * payload, rate_hz (0: event-driven), sensor body, optional frame,
 * max_sample_bytes and device {model, serial, firmware}) into
 * `out` and returns its length without the NUL. Returns a length >= out_cap
 * when `out` is too small (nothing usable written: the agent calls again with
 * a bigger buffer), or AED_E_CONFIG with a message in `err` when the
 * configuration is invalid.
 */
int32_t aed_describe(const char *config_json, char *out, uint32_t out_cap,
                     char *err, uint32_t err_cap);

/*
 * Opens the device for `config_json`. Returns a handle, or NULL with a
 * NUL-terminated message in `err` (the agent retries later with backoff).
 */
aed_driver *aed_open(const char *config_json, char *err, uint32_t err_cap);

/*
 * Reads the next sample into buf[0..cap): waits at most `timeout_ms` and
 * returns the bytes written (> 0), 0 when no sample came in time (no failure
 * for an event-driven sensor), or a negative AED_E_* code. On success `meta`
 * holds the capture timestamp. With AED_E_TOO_SMALL, `meta->needed` (> cap,
 * at most 16 MiB - 1 KiB) is the size the sample needs; keep the sample for
 * the next call, which comes with a buffer that big. A read the agent
 * abandons (hung, or running at shutdown) keeps `buf` and `meta` valid until
 * it returns; what it wrote is discarded.
 */
int32_t aed_read(aed_driver *driver, uint8_t *buf, uint32_t cap,
                 int32_t timeout_ms, aed_sample_meta *meta);

/*
 * Copies the message of the handle's last failure into `out` (NUL-terminated,
 * truncated to out_cap) and returns its full length without the NUL.
 */
uint32_t aed_last_error(aed_driver *driver, char *out, uint32_t out_cap);

/*
 * Switches the device off, closes it and frees the handle. Never called
 * while a read on the handle is running.
 */
void aed_close(aed_driver *driver);

/*
 * Raw RF samples, encoded by the agent into auki_edge.rf protobuf messages.
 *
 * payload "auki_edge.rf.uwb": one aed_uwb_header, then `range_count`
 * aed_uwb_range records.
 */
typedef struct aed_uwb_header {
  uint32_t range_count;      /* records that follow */
  uint32_t has_position;     /* 1 when x, y, z hold a position estimate */
  double x, y, z;            /* position estimate in the sensor frame, m */
  uint32_t position_quality; /* 0 (worst) to 100 (best) */
  uint32_t reserved;         /* write 0 */
} aed_uwb_header;            /* 40 bytes */

typedef struct aed_uwb_range {
  char anchor_id[16]; /* UTF-8, NUL-terminated unless all 16 bytes are used */
  float distance_m;   /* measured distance, m */
  uint32_t quality;   /* 0 (worst) to 100 (best) */
} aed_uwb_range;      /* 24 bytes */

/*
 * payload "auki_edge.rf.wifi_csi": one aed_wifi_csi_header, then
 * `subcarrier_count` float amplitudes, then `subcarrier_count` float phases
 * in radians.
 */
typedef struct aed_wifi_csi_header {
  uint8_t source_mac[6];     /* transmitter MAC address */
  uint16_t reserved;         /* write 0 */
  int32_t rssi_dbm;          /* received signal strength, dBm */
  uint32_t channel;          /* WiFi channel number */
  uint32_t subcarrier_count; /* floats per array that follows */
} aed_wifi_csi_header;       /* 20 bytes */

#ifdef __cplusplus
}
#endif

#endif /* AUKI_EDGE_DRIVER_H */
