/*
 * Fault driver that lies. It describes a 16x16 raw rgb8 camera (768-byte
 * frames of zeros but for FF D8 first, at `rate_hz`) unless `describe` says
 * otherwise:
 *   "garbage" (not JSON), "invalid" (raw with row_stride_bytes 0), "grow"
 *   (always needs one byte more than it is given), "audio" (a kind the loader
 *   does not host), "mismatch" (a camera with payload point_cloud_frame),
 *   "small_max" (a jpeg camera claiming max_sample_bytes 16, so the loader's
 *   buffer must grow), "raw_4k" (a raw rgb8 3840x2160 camera: 24883200-byte
 *   frames, more than a stream frame holds).
 * Its reads lie as `lie` says:
 *   "none" (honest), "over" (claims 100 bytes more than the buffer),
 *   "code" (an undefined error code, -77), "needed_le_cap" (too small, but
 *   needs no more than it was given), "needed_huge" (too small, needs 4 GiB),
 *   "short_frame" (700 bytes), "bad_clock" (clock 7), "bad_timestamp"
 *   (1970-01-01 on CLOCK_REALTIME).
 */
#include <stdlib.h>
#include <string.h>

#include "../common/driver_util.h"

#define FRAME_BYTES (16 * 16 * 3)

static const char *const SETTINGS[] = {"rate_hz", "lie", "describe", NULL};

struct aed_driver {
  util_pacer pacer;
  char lie[64];
  char error[UTIL_ERROR_CAP];
};

static int parse(const char *json, double *rate_hz, const char **lie,
                 const char **describe, util_config *config, char *err,
                 uint32_t err_cap) {
  if (util_parse_config(json, SETTINGS, config, err, err_cap) != 0 ||
      util_number(config, "rate_hz", 20, 0.01, 1000, 0, rate_hz, err,
                  err_cap)) {
    return -1;
  }
  *lie = util_string(config, "lie", "none");
  *describe = util_string(config, "describe", "ok");
  return 0;
}

uint32_t aed_abi_version(void) { return AED_ABI_VERSION; }

int32_t aed_describe(const char *config_json, char *out, uint32_t out_cap,
                     char *err, uint32_t err_cap) {
  util_config config;
  double rate_hz;
  const char *lie, *describe;
  if (parse(config_json, &rate_hz, &lie, &describe, &config, err, err_cap)) {
    return AED_E_CONFIG;
  }
  if (strcmp(describe, "garbage") == 0) {
    return util_describe(out, out_cap, "{not json");
  }
  if (strcmp(describe, "grow") == 0) return (int32_t)out_cap + 1;
  if (strcmp(describe, "audio") == 0) {
    return util_describe(out, out_cap,
                         "{\"payload\":\"audio_frame\",\"rate_hz\":50,"
                         "\"sensor\":{\"kind\":\"audio\",\"type\":\"pcm\","
                         "\"sample_rate_hz\":48000,\"channels\":1,"
                         "\"sample_format\":\"pcm_s16le\","
                         "\"channel_layout\":\"mono\"}}");
  }
  if (strcmp(describe, "raw_4k") == 0) {
    return util_describe(
        out, out_cap,
        "{\"payload\":\"camera_frame\",\"rate_hz\":30,"
        "\"sensor\":{\"kind\":\"camera\",\"type\":\"rgb\","
        "\"width\":3840,\"height\":2160,\"frame_rate_hz\":30,"
        "\"image_encoding\":\"raw\",\"pixel_format\":\"rgb8\","
        "\"row_stride_bytes\":11520,\"color_space\":\"srgb\","
        "\"intrinsics_model\":\"none\",\"distortion_model\":\"none\"}}");
  }
  const char *payload =
      strcmp(describe, "mismatch") == 0 ? "point_cloud_frame" : "camera_frame";
  int stride = strcmp(describe, "invalid") == 0 ? 0 : 48;
  int small = strcmp(describe, "small_max") == 0;
  return util_describe(
      out, out_cap,
      "{\"payload\":\"%s\",\"rate_hz\":%.17g,\"max_sample_bytes\":%d,"
      "\"sensor\":{\"kind\":\"camera\","
      "\"type\":\"rgb\",\"width\":16,\"height\":16,\"frame_rate_hz\":%u,"
      "\"image_encoding\":\"%s\",\"pixel_format\":\"rgb8\","
      "\"row_stride_bytes\":%d,\"color_space\":\"srgb\","
      "\"intrinsics_model\":\"none\",\"distortion_model\":\"none\"}}",
      payload, rate_hz, small ? 16 : FRAME_BYTES, (uint32_t)(rate_hz + 0.5),
      small ? "jpeg" : "raw", small ? 0 : stride);
}

aed_driver *aed_open(const char *config_json, char *err, uint32_t err_cap) {
  util_config config;
  double rate_hz;
  const char *lie, *describe;
  if (parse(config_json, &rate_hz, &lie, &describe, &config, err, err_cap)) {
    return NULL;
  }
  aed_driver *d = calloc(1, sizeof *d);
  if (d == NULL) return NULL;
  strncpy(d->lie, lie, sizeof d->lie - 1);
  util_pacer_start(&d->pacer, rate_hz);
  return d;
}

int32_t aed_read(aed_driver *d, uint8_t *buf, uint32_t cap, int32_t timeout_ms,
                 aed_sample_meta *meta) {
  if (strcmp(d->lie, "needed_le_cap") == 0) {
    meta->needed = cap;
    return AED_E_TOO_SMALL;
  }
  if (strcmp(d->lie, "needed_huge") == 0) {
    meta->needed = 1ULL << 32;
    return AED_E_TOO_SMALL;
  }
  if (cap < FRAME_BYTES) {
    meta->needed = FRAME_BYTES;
    return AED_E_TOO_SMALL;
  }
  uint64_t k;
  int64_t due;
  if (!util_pacer_wait(&d->pacer, timeout_ms, &k, &due)) return 0;
  memset(buf, 0, FRAME_BYTES);
  buf[0] = 0xff;
  buf[1] = 0xd8;
  meta->timestamp_ns = util_now_ns(AED_CLOCK_REALTIME);
  meta->clock = AED_CLOCK_REALTIME;
  meta->flags = 0;
  if (strcmp(d->lie, "over") == 0) return (int32_t)cap + 100;
  if (strcmp(d->lie, "code") == 0) return -77;
  if (strcmp(d->lie, "short_frame") == 0) return 700;
  if (strcmp(d->lie, "bad_clock") == 0) meta->clock = 7;
  if (strcmp(d->lie, "bad_timestamp") == 0) meta->timestamp_ns = 0;
  return FRAME_BYTES;
}

uint32_t aed_last_error(aed_driver *d, char *out, uint32_t out_cap) {
  return util_copy_error(d->error, out, out_cap);
}

void aed_close(aed_driver *d) { free(d); }
