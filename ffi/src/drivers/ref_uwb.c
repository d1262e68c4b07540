/*
 * Reference UWB tag (ffi/README.md, "Reference drivers"): raw
 * "auki_edge.rf.uwb" samples. Cycle k at t = k / rate_hz: the tag is at
 * (4 + 2 cos(0.5 t), 3 + 1.5 sin(0.5 t), 1) m; anchors 0xA001..0xA004 at
 * (0,0,2.5), (8,0,2.5), (8,6,2.5), (0,6,2.5). Each range is the exact
 * distance (float32) with quality floor(100 - 4 distance) clamped to
 * [0, 100]; the position estimate is the exact tag position, quality 90.
 * Timestamps: CLOCK_MONOTONIC, the cycle's nominal instant.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/driver_util.h"

_Static_assert(sizeof(aed_uwb_header) == 40, "aed_uwb_header is 40 bytes");
_Static_assert(sizeof(aed_uwb_range) == 24, "aed_uwb_range is 24 bytes");

#define ANCHORS 4

static const struct {
  const char *id;
  double x, y, z;
} ANCHOR[ANCHORS] = {{"0xA001", 0, 0, 2.5},
                     {"0xA002", 8, 0, 2.5},
                     {"0xA003", 8, 6, 2.5},
                     {"0xA004", 0, 6, 2.5}};

static const char *const SETTINGS[] = {"rate_hz", NULL};

struct aed_driver {
  double rate_hz;
  util_pacer pacer;
  char error[UTIL_ERROR_CAP];
};

static int parse(const char *json, double *rate_hz, char *err,
                 uint32_t err_cap) {
  util_config config;
  if (util_parse_config(json, SETTINGS, &config, err, err_cap) != 0) return -1;
  return util_number(&config, "rate_hz", 10, 0.01, 1000, 0, rate_hz, err,
                     err_cap);
}

uint32_t aed_abi_version(void) { return AED_ABI_VERSION; }

int32_t aed_describe(const char *config_json, char *out, uint32_t out_cap,
                     char *err, uint32_t err_cap) {
  double rate_hz;
  if (parse(config_json, &rate_hz, err, err_cap) != 0) return AED_E_CONFIG;
  return util_describe(out, out_cap,
                       "{\"payload\":\"auki_edge.rf.uwb\",\"rate_hz\":%.17g,"
                       "\"sensor\":{\"kind\":\"rf\",\"type\":\"uwb\"}}",
                       rate_hz);
}

aed_driver *aed_open(const char *config_json, char *err, uint32_t err_cap) {
  double rate_hz;
  if (parse(config_json, &rate_hz, err, err_cap) != 0) return NULL;
  aed_driver *d = calloc(1, sizeof *d);
  if (d == NULL) {
    util_error(err, err_cap, "out of memory");
    return NULL;
  }
  d->rate_hz = rate_hz;
  util_pacer_start(&d->pacer, rate_hz);
  return d;
}

int32_t aed_read(aed_driver *d, uint8_t *buf, uint32_t cap, int32_t timeout_ms,
                 aed_sample_meta *meta) {
  if (d == NULL || buf == NULL || meta == NULL) return AED_E_INVALID;
  uint32_t bytes = sizeof(aed_uwb_header) + ANCHORS * sizeof(aed_uwb_range);
  if (bytes > cap) {
    meta->needed = bytes;
    return AED_E_TOO_SMALL;
  }
  uint64_t k;
  int64_t due;
  if (!util_pacer_wait(&d->pacer, timeout_ms, &k, &due)) return 0;
  double t = (double)k / d->rate_hz;
  double x = 4 + 2 * cos(0.5 * t), y = 3 + 1.5 * sin(0.5 * t), z = 1;
  aed_uwb_header header = {ANCHORS, 1, x, y, z, 90, 0};
  memcpy(buf, &header, sizeof header);
  for (int a = 0; a < ANCHORS; a++) {
    aed_uwb_range range;
    memset(&range, 0, sizeof range);
    memcpy(range.anchor_id, ANCHOR[a].id, strlen(ANCHOR[a].id));
    double distance = sqrt((x - ANCHOR[a].x) * (x - ANCHOR[a].x) +
                           (y - ANCHOR[a].y) * (y - ANCHOR[a].y) +
                           (z - ANCHOR[a].z) * (z - ANCHOR[a].z));
    double quality = floor(100 - 4 * distance);
    range.distance_m = (float)distance;
    range.quality = quality < 0 ? 0 : quality > 100 ? 100 : (uint32_t)quality;
    memcpy(buf + sizeof header + a * sizeof range, &range, sizeof range);
  }
  meta->timestamp_ns = due;
  meta->clock = AED_CLOCK_MONOTONIC;
  meta->flags = 0;
  return (int32_t)bytes;
}

uint32_t aed_last_error(aed_driver *d, char *out, uint32_t out_cap) {
  return util_copy_error(d == NULL ? "no handle" : d->error, out, out_cap);
}

void aed_close(aed_driver *d) { free(d); }
