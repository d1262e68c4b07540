/* Fault driver missing symbols: it exports no aed_read, aed_last_error or aed_close. */
#include "auki_edge_driver.h"

uint32_t aed_abi_version(void) { return AED_ABI_VERSION; }

int32_t aed_describe(const char *config_json, char *out, uint32_t out_cap,
                     char *err, uint32_t err_cap) {
  (void)config_json, (void)out, (void)out_cap, (void)err, (void)err_cap;
  return AED_E_CONFIG;
}

aed_driver *aed_open(const char *config_json, char *err, uint32_t err_cap) {
  (void)config_json, (void)err, (void)err_cap;
  return 0;
}
