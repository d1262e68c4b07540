/*
 * Reference camera: raw rgb8 test pattern (ffi/README.md, "Reference
 * drivers"). Frame k, pixel (x, y), stride 3 * width + row_padding:
 *   R = (x + k) mod 256, G = (y + 2k) mod 256, B = (x + 2y + 3k) mod 256;
 * the first four pixels of row 0 are grey levels (k >> 24, k >> 16, k >> 8,
 * k) mod 256 instead; padding bytes are 0. Timestamps: CLOCK_MONOTONIC, the
 * frame's nominal capture instant.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/driver_util.h"

static const char *const SETTINGS[] = {"width", "height", "rate_hz",
                                       "row_padding", NULL};

struct aed_driver {
  uint32_t width, height, stride;
  util_pacer pacer;
  double rate_hz;
  char error[UTIL_ERROR_CAP];
};

typedef struct settings {
  double width, height, rate_hz, row_padding;
} settings;

static int parse(const char *json, settings *s, char *err, uint32_t err_cap) {
  util_config config;
  if (util_parse_config(json, SETTINGS, &config, err, err_cap) != 0) return -1;
  if (util_number(&config, "width", 640, 1, 8192, 1, &s->width, err, err_cap) ||
      util_number(&config, "height", 480, 1, 8192, 1, &s->height, err,
                  err_cap) ||
      util_number(&config, "rate_hz", 30, 0.01, 1000, 0, &s->rate_hz, err,
                  err_cap) ||
      util_number(&config, "row_padding", 0, 0, 4096, 1, &s->row_padding, err,
                  err_cap)) {
    return -1;
  }
  return 0;
}

uint32_t aed_abi_version(void) { return AED_ABI_VERSION; }

int32_t aed_describe(const char *config_json, char *out, uint32_t out_cap,
                     char *err, uint32_t err_cap) {
  settings s;
  if (parse(config_json, &s, err, err_cap) != 0) return AED_E_CONFIG;
  uint32_t stride = 3 * (uint32_t)s.width + (uint32_t)s.row_padding;
  return util_describe(
      out, out_cap,
      "{\"payload\":\"camera_frame\",\"rate_hz\":%.17g,"
      "\"max_sample_bytes\":%u,\"sensor\":{\"kind\":\"camera\","
      "\"type\":\"rgb\",\"width\":%u,\"height\":%u,\"frame_rate_hz\":%u,"
      "\"image_encoding\":\"raw\",\"pixel_format\":\"rgb8\","
      "\"row_stride_bytes\":%u,\"color_space\":\"srgb\","
      "\"intrinsics_model\":\"pinhole\",\"distortion_model\":\"none\","
      "\"calibration\":{\"fx\":%.17g,\"fy\":%.17g,\"cx\":%.17g,\"cy\":%.17g}}}",
      s.rate_hz, stride * (uint32_t)s.height, (uint32_t)s.width,
      (uint32_t)s.height, (uint32_t)(s.rate_hz + 0.5), stride,
      s.width / 2, s.width / 2, s.width / 2, s.height / 2);
}

aed_driver *aed_open(const char *config_json, char *err, uint32_t err_cap) {
  settings s;
  if (parse(config_json, &s, err, err_cap) != 0) return NULL;
  aed_driver *d = calloc(1, sizeof *d);
  if (d == NULL) {
    util_error(err, err_cap, "out of memory");
    return NULL;
  }
  d->width = (uint32_t)s.width;
  d->height = (uint32_t)s.height;
  d->stride = 3 * d->width + (uint32_t)s.row_padding;
  d->rate_hz = s.rate_hz;
  util_pacer_start(&d->pacer, s.rate_hz);
  return d;
}

static void render(const aed_driver *d, uint8_t *frame, uint32_t k) {
  for (uint32_t y = 0; y < d->height; y++) {
    uint8_t *row = frame + (size_t)y * d->stride;
    uint8_t g = (uint8_t)(y + 2 * k);
    uint8_t r = (uint8_t)k;
    uint8_t b = (uint8_t)(2 * y + 3 * k);
    for (uint32_t x = 0; x < d->width; x++) {
      row[3 * x] = r++;
      row[3 * x + 1] = g;
      row[3 * x + 2] = b++;
    }
    memset(row + 3 * d->width, 0, d->stride - 3 * d->width);
  }
  for (uint32_t i = 0; i < 4 && i < d->width; i++) {
    uint8_t grey = (uint8_t)(k >> (8 * (3 - i)));
    memset(frame + 3 * i, grey, 3);
  }
}

int32_t aed_read(aed_driver *d, uint8_t *buf, uint32_t cap, int32_t timeout_ms,
                 aed_sample_meta *meta) {
  if (d == NULL || buf == NULL || meta == NULL) return AED_E_INVALID;
  uint64_t bytes = (uint64_t)d->stride * d->height;
  if (bytes > cap) {
    meta->needed = bytes;
    return AED_E_TOO_SMALL;
  }
  uint64_t index;
  int64_t due;
  if (!util_pacer_wait(&d->pacer, timeout_ms, &index, &due)) return 0;
  render(d, buf, (uint32_t)index);
  meta->timestamp_ns = due;
  meta->clock = AED_CLOCK_MONOTONIC;
  meta->flags = 0;
  return (int32_t)bytes;
}

uint32_t aed_last_error(aed_driver *d, char *out, uint32_t out_cap) {
  return util_copy_error(d == NULL ? "no handle" : d->error, out, out_cap);
}

void aed_close(aed_driver *d) { free(d); }
