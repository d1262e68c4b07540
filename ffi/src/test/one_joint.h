/*
 * The sensor the fault drivers pretend to be: one joint at `rate_hz`, whose
 * sample k is the angle k / 1000 rad (float32).
 */
#ifndef AUKI_EDGE_ONE_JOINT_H
#define AUKI_EDGE_ONE_JOINT_H

#include "../common/driver_util.h"

/* Writes the one-joint description at `rate_hz` (aed_describe semantics). */
static inline int32_t one_joint_describe(char *out, uint32_t out_cap,
                                         double rate_hz) {
  return util_describe(out, out_cap,
                       "{\"payload\":\"joint_encoders_frame\","
                       "\"rate_hz\":%.17g,\"sensor\":{\"kind\":"
                       "\"joint_encoders\",\"type\":\"absolute\","
                       "\"joint_count\":1,\"frame_rate_hz\":%u}}",
                       rate_hz, (uint32_t)(rate_hz + 0.5));
}

/* Reads the next paced one-joint sample (aed_read semantics). */
static inline int32_t one_joint_read(util_pacer *pacer, uint8_t *buf,
                                     uint32_t cap, int32_t timeout_ms,
                                     aed_sample_meta *meta) {
  if (cap < 4) {
    meta->needed = 4;
    return AED_E_TOO_SMALL;
  }
  uint64_t k;
  int64_t due;
  if (!util_pacer_wait(pacer, timeout_ms, &k, &due)) return 0;
  float angle = (float)k / 1000;
  __builtin_memcpy(buf, &angle, 4);
  meta->timestamp_ns = util_now_ns(AED_CLOCK_REALTIME);
  meta->clock = AED_CLOCK_REALTIME;
  meta->flags = 0;
  return 4;
}

#endif /* AUKI_EDGE_ONE_JOINT_H */
