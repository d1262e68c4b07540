/*
 * Fault driver: one joint (test/one_joint.h) that delivers `good_reads`
 * samples per open, then hangs inside aed_read for `hang_ms` (-1: forever),
 * ignoring its timeout, and then fails. With `close_file`, aed_close appends
 * "closed" to that file (the tests see whether the device was switched off).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "one_joint.h"

static const char *const SETTINGS[] = {"rate_hz", "good_reads", "hang_ms",
                                       "close_file", NULL};

struct aed_driver {
  util_pacer pacer;
  double good_reads, hang_ms;
  char close_file[512];
  uint64_t reads;
  char error[UTIL_ERROR_CAP];
};

static int parse(const char *json, struct aed_driver *d, double *rate_hz,
                 char *err, uint32_t err_cap) {
  util_config config;
  if (util_parse_config(json, SETTINGS, &config, err, err_cap) != 0) return -1;
  snprintf(d->close_file, sizeof d->close_file, "%s",
           util_string(&config, "close_file", ""));
  return util_number(&config, "rate_hz", 50, 0.01, 1000, 0, rate_hz, err,
                     err_cap) ||
         util_number(&config, "good_reads", 0, 0, 1e9, 1, &d->good_reads, err,
                     err_cap) ||
         util_number(&config, "hang_ms", -1, -1, 1e9, 1, &d->hang_ms, err,
                     err_cap);
}

uint32_t aed_abi_version(void) { return AED_ABI_VERSION; }

int32_t aed_describe(const char *config_json, char *out, uint32_t out_cap,
                     char *err, uint32_t err_cap) {
  struct aed_driver d;
  double rate_hz;
  if (parse(config_json, &d, &rate_hz, err, err_cap) != 0) return AED_E_CONFIG;
  return one_joint_describe(out, out_cap, rate_hz);
}

aed_driver *aed_open(const char *config_json, char *err, uint32_t err_cap) {
  aed_driver *d = calloc(1, sizeof *d);
  double rate_hz;
  if (d == NULL || parse(config_json, d, &rate_hz, err, err_cap) != 0) {
    free(d);
    return NULL;
  }
  util_pacer_start(&d->pacer, rate_hz);
  return d;
}

int32_t aed_read(aed_driver *d, uint8_t *buf, uint32_t cap, int32_t timeout_ms,
                 aed_sample_meta *meta) {
  if (d->reads++ < d->good_reads) {
    return one_joint_read(&d->pacer, buf, cap, timeout_ms, meta);
  }
  util_sleep_ms((int64_t)d->hang_ms);
  util_error(d->error, sizeof d->error, "woke up after hanging %g ms",
             d->hang_ms);
  return AED_E_FAILED;
}

uint32_t aed_last_error(aed_driver *d, char *out, uint32_t out_cap) {
  return util_copy_error(d->error, out, out_cap);
}

void aed_close(aed_driver *d) {
  if (d->close_file[0] != '\0') {
    FILE *file = fopen(d->close_file, "a");
    if (file != NULL) {
      fputs("closed\n", file);
      fclose(file);
    }
  }
  free(d);
}
