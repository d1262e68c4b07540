/*
 * Helpers shared by the reference and fault drivers: a flat JSON
 * configuration reader, clocks, pacing at a sample rate, and error text.
 * Not part of the ABI: vendors write their own.
 */
#ifndef AUKI_EDGE_DRIVER_UTIL_H
#define AUKI_EDGE_DRIVER_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "auki_edge_driver.h"

/* Longest error message a driver keeps. */
#define UTIL_ERROR_CAP 256
/* Settings a configuration may hold. */
#define UTIL_MAX_SETTINGS 16

/* One top-level member of a configuration object. */
typedef struct util_setting {
  char key[32];
  int is_string;  /* 1: text holds a string, 0: number holds a number */
  double number;
  char text[64];
} util_setting;

/* A parsed configuration: a flat JSON object of numbers and strings. */
typedef struct util_config {
  util_setting settings[UTIL_MAX_SETTINGS];
  int count;
} util_config;

/*
 * Parses `json` into `config`, accepting only the keys listed in `allowed`
 * (NULL-terminated). Returns 0, or -1 with a message in err.
 */
int util_parse_config(const char *json, const char *const *allowed,
                      util_config *config, char *err, uint32_t err_cap);

/*
 * The number setting `key`, or `fallback` when absent. Returns 0, or -1 with a
 * message in err when it is not a number within [min, max] (or not an
 * integer when `integer`).
 */
int util_number(const util_config *config, const char *key, double fallback,
                double min, double max, int integer, double *out, char *err,
                uint32_t err_cap);

/* The string setting `key`, or `fallback` when absent (or not a string). */
const char *util_string(const util_config *config, const char *key,
                        const char *fallback);

/* Writes a formatted message into err (NUL-terminated, truncated). */
void util_error(char *err, uint32_t err_cap, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf into out with aed_describe() semantics: the full length. */
int32_t util_describe(char *out, uint32_t out_cap, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* aed_last_error() semantics over a stored message. */
uint32_t util_copy_error(const char *message, char *out, uint32_t out_cap);

/* A clock reading in ns (AED_CLOCK_REALTIME or AED_CLOCK_MONOTONIC). */
int64_t util_now_ns(int clock);

/*
 * Paces samples at a rate: sample k is due at start + k / rate_hz on the
 * monotonic clock. A reader more than two periods late skips to the sample
 * due now, as a device with a short queue drops frames.
 */
typedef struct util_pacer {
  int64_t start_ns;
  double period_ns;
  uint64_t next;
} util_pacer;

/* Starts pacing at `rate_hz` from now. */
void util_pacer_start(util_pacer *pacer, double rate_hz);

/*
 * Waits until the next sample is due, at most `timeout_ms`. Returns 1 with
 * its index in *index and its nominal monotonic time in *due_ns, or 0 when it
 * is not due within the timeout.
 */
int util_pacer_wait(util_pacer *pacer, int32_t timeout_ms, uint64_t *index,
                    int64_t *due_ns);

/* Sleeps `ms` milliseconds (negative: forever). */
void util_sleep_ms(int64_t ms);

#endif /* AUKI_EDGE_DRIVER_UTIL_H */
