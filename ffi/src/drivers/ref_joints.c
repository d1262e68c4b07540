/*
 * Reference joint encoder bank (ffi/README.md, "Reference drivers"). Sample
 * k at t = k / rate_hz, joint j: angle = 0.5 sin(2 pi 0.1 (j + 1) t + j / 2)
 * radians, computed in double and stored as float32, one per joint.
 * Timestamps: CLOCK_REALTIME when the sample is read.
 */
#include <math.h>
#include <stdlib.h>

#include "../common/driver_util.h"

static const char *const SETTINGS[] = {"joint_count", "rate_hz", NULL};

struct aed_driver {
  uint32_t joints;
  double rate_hz;
  util_pacer pacer;
  char error[UTIL_ERROR_CAP];
};

static int parse(const char *json, double *joints, double *rate_hz, char *err,
                 uint32_t err_cap) {
  util_config config;
  if (util_parse_config(json, SETTINGS, &config, err, err_cap) != 0) return -1;
  if (util_number(&config, "joint_count", 6, 1, 64, 1, joints, err, err_cap) ||
      util_number(&config, "rate_hz", 100, 0.01, 1000000, 0, rate_hz, err,
                  err_cap)) {
    return -1;
  }
  return 0;
}

uint32_t aed_abi_version(void) { return AED_ABI_VERSION; }

int32_t aed_describe(const char *config_json, char *out, uint32_t out_cap,
                     char *err, uint32_t err_cap) {
  double joints, rate_hz;
  if (parse(config_json, &joints, &rate_hz, err, err_cap) != 0) {
    return AED_E_CONFIG;
  }
  return util_describe(
      out, out_cap,
      "{\"payload\":\"joint_encoders_frame\",\"rate_hz\":%.17g,"
      "\"sensor\":{\"kind\":\"joint_encoders\",\"type\":\"absolute\","
      "\"joint_count\":%u,\"frame_rate_hz\":%u}}",
      rate_hz, (uint32_t)joints, (uint32_t)(rate_hz + 0.5));
}

aed_driver *aed_open(const char *config_json, char *err, uint32_t err_cap) {
  double joints, rate_hz;
  if (parse(config_json, &joints, &rate_hz, err, err_cap) != 0) return NULL;
  aed_driver *d = calloc(1, sizeof *d);
  if (d == NULL) {
    util_error(err, err_cap, "out of memory");
    return NULL;
  }
  d->joints = (uint32_t)joints;
  d->rate_hz = rate_hz;
  util_pacer_start(&d->pacer, rate_hz);
  return d;
}

int32_t aed_read(aed_driver *d, uint8_t *buf, uint32_t cap, int32_t timeout_ms,
                 aed_sample_meta *meta) {
  if (d == NULL || buf == NULL || meta == NULL) return AED_E_INVALID;
  uint32_t bytes = d->joints * 4;
  if (bytes > cap) {
    meta->needed = bytes;
    return AED_E_TOO_SMALL;
  }
  uint64_t k;
  int64_t due;
  if (!util_pacer_wait(&d->pacer, timeout_ms, &k, &due)) return 0;
  double t = (double)k / d->rate_hz;
  float *angles = (float *)buf;
  for (uint32_t j = 0; j < d->joints; j++) {
    angles[j] = (float)(0.5 * sin(2 * M_PI * 0.1 * (j + 1) * t + j / 2.0));
  }
  meta->timestamp_ns = util_now_ns(AED_CLOCK_REALTIME);
  meta->clock = AED_CLOCK_REALTIME;
  meta->flags = 0;
  return (int32_t)bytes;
}

uint32_t aed_last_error(aed_driver *d, char *out, uint32_t out_cap) {
  return util_copy_error(d == NULL ? "no handle" : d->error, out, out_cap);
}

void aed_close(aed_driver *d) { free(d); }
