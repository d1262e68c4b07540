/*
 * Reference 2D lidar (ffi/README.md, "Reference drivers"). Scan k of N
 * points, point i: theta = 2 pi i / N, r = 3 + 0.5 sin(4 theta + 2 pi k / 50),
 * x = r cos theta, y = r sin theta, z = 0, intensity = ((i + k) mod 100) / 100,
 * computed in double and stored as little-endian float32 x, y, z, intensity
 * (16 bytes per point). Timestamps: CLOCK_REALTIME when the scan is read.
 */
#include <math.h>
#include <stdlib.h>

#include "../common/driver_util.h"

#define POINT_STEP 16

static const char *const SETTINGS[] = {"points", "rate_hz", NULL};

struct aed_driver {
  uint32_t points;
  util_pacer pacer;
  char error[UTIL_ERROR_CAP];
};

static int parse(const char *json, double *points, double *rate_hz, char *err,
                 uint32_t err_cap) {
  util_config config;
  if (util_parse_config(json, SETTINGS, &config, err, err_cap) != 0) return -1;
  if (util_number(&config, "points", 360, 1, 100000, 1, points, err, err_cap) ||
      util_number(&config, "rate_hz", 10, 0.01, 1000, 0, rate_hz, err,
                  err_cap)) {
    return -1;
  }
  return 0;
}

uint32_t aed_abi_version(void) { return AED_ABI_VERSION; }

int32_t aed_describe(const char *config_json, char *out, uint32_t out_cap,
                     char *err, uint32_t err_cap) {
  double points, rate_hz;
  if (parse(config_json, &points, &rate_hz, err, err_cap) != 0) {
    return AED_E_CONFIG;
  }
  return util_describe(
      out, out_cap,
      "{\"payload\":\"point_cloud_frame\",\"rate_hz\":%.17g,"
      "\"max_sample_bytes\":%u,\"sensor\":{\"kind\":\"rangefinder\","
      "\"type\":\"2d_lidar\",\"fields\":["
      "{\"name\":\"x\",\"offset\":0,\"datatype\":\"float32\",\"count\":1},"
      "{\"name\":\"y\",\"offset\":4,\"datatype\":\"float32\",\"count\":1},"
      "{\"name\":\"z\",\"offset\":8,\"datatype\":\"float32\",\"count\":1},"
      "{\"name\":\"intensity\",\"offset\":12,\"datatype\":\"float32\","
      "\"count\":1}],\"point_step\":%d,\"is_bigendian\":false,"
      "\"frame_rate_hz\":%u}}",
      rate_hz, (uint32_t)points * POINT_STEP, POINT_STEP,
      (uint32_t)(rate_hz + 0.5));
}

aed_driver *aed_open(const char *config_json, char *err, uint32_t err_cap) {
  double points, rate_hz;
  if (parse(config_json, &points, &rate_hz, err, err_cap) != 0) return NULL;
  aed_driver *d = calloc(1, sizeof *d);
  if (d == NULL) {
    util_error(err, err_cap, "out of memory");
    return NULL;
  }
  d->points = (uint32_t)points;
  util_pacer_start(&d->pacer, rate_hz);
  return d;
}

int32_t aed_read(aed_driver *d, uint8_t *buf, uint32_t cap, int32_t timeout_ms,
                 aed_sample_meta *meta) {
  if (d == NULL || buf == NULL || meta == NULL) return AED_E_INVALID;
  uint32_t bytes = d->points * POINT_STEP;
  if (bytes > cap) {
    meta->needed = bytes;
    return AED_E_TOO_SMALL;
  }
  uint64_t k;
  int64_t due;
  if (!util_pacer_wait(&d->pacer, timeout_ms, &k, &due)) return 0;
  float *out = (float *)buf;
  for (uint32_t i = 0; i < d->points; i++) {
    double theta = 2 * M_PI * i / d->points;
    double r = 3 + 0.5 * sin(4 * theta + 2 * M_PI * (double)k / 50);
    out[4 * i] = (float)(r * cos(theta));
    out[4 * i + 1] = (float)(r * sin(theta));
    out[4 * i + 2] = 0;
    out[4 * i + 3] = (float)((double)((i + k) % 100) / 100);
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
