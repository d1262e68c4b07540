/* Fault driver built for a future ABI: aed_abi_version() returns 99. */
#include "auki_edge_driver.h"

uint32_t aed_abi_version(void) { return 99; }

int32_t aed_describe(const char *config_json, char *out, uint32_t out_cap,
                     char *err, uint32_t err_cap) {
  (void)config_json, (void)out, (void)out_cap, (void)err, (void)err_cap;
  return AED_E_CONFIG;
}

aed_driver *aed_open(const char *config_json, char *err, uint32_t err_cap) {
  (void)config_json, (void)err, (void)err_cap;
  return 0;
}

int32_t aed_read(aed_driver *d, uint8_t *buf, uint32_t cap, int32_t timeout_ms,
                 aed_sample_meta *meta) {
  (void)d, (void)buf, (void)cap, (void)timeout_ms, (void)meta;
  return AED_E_FAILED;
}

uint32_t aed_last_error(aed_driver *d, char *out, uint32_t out_cap) {
  (void)d, (void)out, (void)out_cap;
  return 0;
}

void aed_close(aed_driver *d) { (void)d; }
