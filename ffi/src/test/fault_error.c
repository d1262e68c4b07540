/*
 * Fault driver: one joint (test/one_joint.h) that delivers `good_reads`
 * samples per open and then fails every read with `code` ("failed":
 * AED_E_FAILED, "no_device": AED_E_NO_DEVICE). With `fail_open`, every open
 * fails instead. With `fail_every` N, only every Nth read fails (an isolated
 * glitch, "simulated glitch at read K") and the others deliver samples.
 */
#include <stdlib.h>
#include <string.h>

#include "one_joint.h"

static const char *const SETTINGS[] = {"rate_hz",   "good_reads", "code",
                                       "fail_open", "fail_every", NULL};

struct aed_driver {
  util_pacer pacer;
  double good_reads, fail_every;
  int32_t code;
  uint64_t reads;
  char error[UTIL_ERROR_CAP];
};

static int parse(const char *json, struct aed_driver *d, double *rate_hz,
                 double *fail_open, char *err, uint32_t err_cap) {
  util_config config;
  if (util_parse_config(json, SETTINGS, &config, err, err_cap) != 0 ||
      util_number(&config, "rate_hz", 50, 0.01, 1000, 0, rate_hz, err,
                  err_cap) ||
      util_number(&config, "good_reads", 0, 0, 1e9, 1, &d->good_reads, err,
                  err_cap) ||
      util_number(&config, "fail_open", 0, 0, 1, 1, fail_open, err, err_cap) ||
      util_number(&config, "fail_every", 0, 0, 1e9, 1, &d->fail_every, err,
                  err_cap)) {
    return -1;
  }
  const char *code = util_string(&config, "code", "failed");
  if (strcmp(code, "failed") == 0) {
    d->code = AED_E_FAILED;
  } else if (strcmp(code, "no_device") == 0) {
    d->code = AED_E_NO_DEVICE;
  } else {
    util_error(err, err_cap, "code must be \"failed\" or \"no_device\"");
    return -1;
  }
  return 0;
}

uint32_t aed_abi_version(void) { return AED_ABI_VERSION; }

int32_t aed_describe(const char *config_json, char *out, uint32_t out_cap,
                     char *err, uint32_t err_cap) {
  struct aed_driver d;
  double rate_hz, fail_open;
  if (parse(config_json, &d, &rate_hz, &fail_open, err, err_cap) != 0) {
    return AED_E_CONFIG;
  }
  return one_joint_describe(out, out_cap, rate_hz);
}

aed_driver *aed_open(const char *config_json, char *err, uint32_t err_cap) {
  aed_driver *d = calloc(1, sizeof *d);
  double rate_hz, fail_open;
  if (d == NULL ||
      parse(config_json, d, &rate_hz, &fail_open, err, err_cap) != 0) {
    free(d);
    return NULL;
  }
  if (fail_open) {
    util_error(err, err_cap, "simulated: no device on the bus");
    free(d);
    return NULL;
  }
  util_pacer_start(&d->pacer, rate_hz);
  return d;
}

int32_t aed_read(aed_driver *d, uint8_t *buf, uint32_t cap, int32_t timeout_ms,
                 aed_sample_meta *meta) {
  if (d->fail_every > 0) {
    uint64_t k = ++d->reads;
    if (k % (uint64_t)d->fail_every != 0) {
      return one_joint_read(&d->pacer, buf, cap, timeout_ms, meta);
    }
    util_error(d->error, sizeof d->error, "simulated glitch at read %llu",
               (unsigned long long)k);
    return d->code;
  }
  if (d->reads < d->good_reads) {
    int32_t n = one_joint_read(&d->pacer, buf, cap, timeout_ms, meta);
    if (n > 0) d->reads++;
    return n;
  }
  util_error(d->error, sizeof d->error, "simulated fault E%d after %llu reads",
             -d->code, (unsigned long long)d->reads);
  return d->code;
}

uint32_t aed_last_error(aed_driver *d, char *out, uint32_t out_cap) {
  return util_copy_error(d->error, out, out_cap);
}

void aed_close(aed_driver *d) { free(d); }
