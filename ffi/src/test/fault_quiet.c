/*
 * Fault driver: an event-driven one-joint sensor (rate_hz 0) that is quiet
 * most of the time: it delivers a sample every `every_ms` (default 1500) and
 * returns 0 (no sample within the timeout) in between.
 */
#include <stdlib.h>

#include "../common/driver_util.h"

static const char *const SETTINGS[] = {"every_ms", NULL};

struct aed_driver {
  double every_ms;
  int64_t next_ns;
  uint64_t samples;
};

static int parse(const char *json, double *every_ms, char *err,
                 uint32_t err_cap) {
  util_config config;
  if (util_parse_config(json, SETTINGS, &config, err, err_cap) != 0) return -1;
  return util_number(&config, "every_ms", 1500, 1, 1e9, 0, every_ms, err,
                     err_cap);
}

uint32_t aed_abi_version(void) { return AED_ABI_VERSION; }

int32_t aed_describe(const char *config_json, char *out, uint32_t out_cap,
                     char *err, uint32_t err_cap) {
  double every_ms;
  if (parse(config_json, &every_ms, err, err_cap) != 0) return AED_E_CONFIG;
  return util_describe(out, out_cap,
                       "{\"payload\":\"joint_encoders_frame\",\"rate_hz\":0,"
                       "\"sensor\":{\"kind\":\"joint_encoders\","
                       "\"type\":\"absolute\",\"joint_count\":1,"
                       "\"frame_rate_hz\":0}}");
}

aed_driver *aed_open(const char *config_json, char *err, uint32_t err_cap) {
  aed_driver *d = calloc(1, sizeof *d);
  if (d == NULL || parse(config_json, &d->every_ms, err, err_cap) != 0) {
    free(d);
    return NULL;
  }
  d->next_ns = util_now_ns(AED_CLOCK_MONOTONIC) +
               (int64_t)(d->every_ms * 1e6);
  return d;
}

int32_t aed_read(aed_driver *d, uint8_t *buf, uint32_t cap, int32_t timeout_ms,
                 aed_sample_meta *meta) {
  if (cap < 4) {
    meta->needed = 4;
    return AED_E_TOO_SMALL;
  }
  int64_t now = util_now_ns(AED_CLOCK_MONOTONIC);
  int64_t wait_ms = (d->next_ns - now) / 1000000;
  if (wait_ms > timeout_ms) {
    util_sleep_ms(timeout_ms);
    return 0;
  }
  if (wait_ms > 0) util_sleep_ms(wait_ms);
  d->next_ns += (int64_t)(d->every_ms * 1e6);
  float angle = (float)++d->samples / 1000;
  __builtin_memcpy(buf, &angle, 4);
  meta->timestamp_ns = util_now_ns(AED_CLOCK_REALTIME);
  meta->clock = AED_CLOCK_REALTIME;
  meta->flags = 0;
  return 4;
}

uint32_t aed_last_error(aed_driver *d, char *out, uint32_t out_cap) {
  (void)d;
  return util_copy_error("", out, out_cap);
}

void aed_close(aed_driver *d) { free(d); }
