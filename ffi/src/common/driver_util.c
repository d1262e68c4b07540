/* Helpers shared by the reference and fault drivers (see driver_util.h). */
#include "driver_util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void util_error(char *err, uint32_t err_cap, const char *format, ...) {
  if (err == NULL || err_cap == 0) return;
  va_list args;
  va_start(args, format);
  vsnprintf(err, err_cap, format, args);
  va_end(args);
}

int32_t util_describe(char *out, uint32_t out_cap, const char *format, ...) {
  va_list args;
  va_start(args, format);
  int length = vsnprintf(out, out_cap, format, args);
  va_end(args);
  return length < 0 ? AED_E_FAILED : length;
}

uint32_t util_copy_error(const char *message, char *out, uint32_t out_cap) {
  size_t length = strlen(message);
  if (out != NULL && out_cap > 0) {
    size_t n = length < out_cap - 1 ? length : out_cap - 1;
    memcpy(out, message, n);
    out[n] = '\0';
  }
  return (uint32_t)length;
}

static const char *skip_space(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return p;
}

/* Reads a JSON string at p (after its opening quote) into out. */
static const char *read_string(const char *p, char *out, size_t cap) {
  size_t n = 0;
  while (*p != '"') {
    char c = *p++;
    if (c == '\0' || (unsigned char)c < 0x20) return NULL;
    if (c == '\\') {
      char e = *p++;
      switch (e) {
        case '"': case '\\': case '/': c = e; break;
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        default: return NULL; /* \u escapes are not needed by any setting */
      }
    }
    if (n + 1 >= cap) return NULL;
    out[n++] = c;
  }
  out[n] = '\0';
  return p + 1;
}

int util_parse_config(const char *json, const char *const *allowed,
                      util_config *config, char *err, uint32_t err_cap) {
  config->count = 0;
  const char *p = skip_space(json);
  if (*p != '{') {
    util_error(err, err_cap, "the configuration must be a JSON object");
    return -1;
  }
  p = skip_space(p + 1);
  if (*p == '}') return 0;
  for (;;) {
    if (*p != '"') goto malformed;
    if (config->count == UTIL_MAX_SETTINGS) {
      util_error(err, err_cap, "too many settings (at most %d)",
                 UTIL_MAX_SETTINGS);
      return -1;
    }
    util_setting *s = &config->settings[config->count];
    memset(s, 0, sizeof *s);
    p = read_string(p + 1, s->key, sizeof s->key);
    if (p == NULL) goto malformed;
    int known = 0;
    for (const char *const *a = allowed; *a != NULL; a++) {
      if (strcmp(*a, s->key) == 0) known = 1;
    }
    if (!known) {
      util_error(err, err_cap, "unknown setting \"%s\"", s->key);
      return -1;
    }
    p = skip_space(p);
    if (*p != ':') goto malformed;
    p = skip_space(p + 1);
    if (*p == '"') {
      s->is_string = 1;
      p = read_string(p + 1, s->text, sizeof s->text);
      if (p == NULL) goto malformed;
    } else if (strncmp(p, "true", 4) == 0 || strncmp(p, "false", 5) == 0) {
      s->number = *p == 't' ? 1 : 0;
      p += *p == 't' ? 4 : 5;
    } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
      char *end;
      errno = 0;
      s->number = strtod(p, &end);
      if (end == p || errno != 0) goto malformed;
      p = end;
    } else {
      util_error(err, err_cap, "setting \"%s\" must be a number or a string",
                 s->key);
      return -1;
    }
    config->count++;
    p = skip_space(p);
    if (*p == '}') {
      if (*skip_space(p + 1) != '\0') goto malformed;
      return 0;
    }
    if (*p != ',') goto malformed;
    p = skip_space(p + 1);
  }
malformed:
  util_error(err, err_cap, "the configuration is not a flat JSON object");
  return -1;
}

static const util_setting *find(const util_config *config, const char *key) {
  for (int i = 0; i < config->count; i++) {
    if (strcmp(config->settings[i].key, key) == 0) return &config->settings[i];
  }
  return NULL;
}

int util_number(const util_config *config, const char *key, double fallback,
                double min, double max, int integer, double *out, char *err,
                uint32_t err_cap) {
  const util_setting *s = find(config, key);
  if (s == NULL) {
    *out = fallback;
    return 0;
  }
  if (s->is_string) {
    util_error(err, err_cap, "setting \"%s\" must be a number", key);
    return -1;
  }
  if (!(s->number >= min && s->number <= max)) {
    util_error(err, err_cap, "setting \"%s\" must be between %g and %g, got %g",
               key, min, max, s->number);
    return -1;
  }
  if (integer && s->number != floor(s->number)) {
    util_error(err, err_cap, "setting \"%s\" must be a whole number, got %g",
               key, s->number);
    return -1;
  }
  *out = s->number;
  return 0;
}

const char *util_string(const util_config *config, const char *key,
                        const char *fallback) {
  const util_setting *s = find(config, key);
  return s != NULL && s->is_string ? s->text : fallback;
}

int64_t util_now_ns(int clock) {
  struct timespec ts;
  clock_gettime(clock == AED_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC,
                &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void util_sleep_ms(int64_t ms) {
  if (ms < 0) {
    for (;;) pause();
  }
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

void util_pacer_start(util_pacer *pacer, double rate_hz) {
  pacer->start_ns = util_now_ns(AED_CLOCK_MONOTONIC);
  pacer->period_ns = 1e9 / rate_hz;
  pacer->next = 0;
}

int util_pacer_wait(util_pacer *pacer, int32_t timeout_ms, uint64_t *index,
                    int64_t *due_ns) {
  int64_t now = util_now_ns(AED_CLOCK_MONOTONIC);
  double elapsed = (double)(now - pacer->start_ns);
  if (elapsed > (double)(pacer->next + 2) * pacer->period_ns) {
    pacer->next = (uint64_t)(elapsed / pacer->period_ns);
  }
  int64_t due = pacer->start_ns + (int64_t)((double)pacer->next * pacer->period_ns);
  if (due > now) {
    int64_t wait = due - now;
    if (wait > (int64_t)timeout_ms * 1000000LL) {
      util_sleep_ms(timeout_ms);
      return 0;
    }
    struct timespec ts = {wait / 1000000000LL, wait % 1000000000LL};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
  }
  *index = pacer->next++;
  *due_ns = due;
  return 1;
}
