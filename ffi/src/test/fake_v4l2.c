/*
 * A fake V4L2 UVC camera, loaded by the V4L2 driver in place of the C library
 * so that its ioctl sequence, struct layouts and frame handling can be tested
 * on a machine without /dev/video*. It exports open, close, ioctl, mmap,
 * munmap and poll; anything else the driver needs (memcpy, __errno_location)
 * resolves to the real C library through this library's dependencies.
 *
 * Any path whose last segment starts with "video" opens the camera (while
 * "present"). It offers MJPG and YUYV at 320x240, 640x480 and 1280x720, at
 * 5, 15 or 30 fps, with mmap streaming. Frame n (sequence number since
 * STREAMON) is:
 *   YUYV: byte i of row y is (i + 3y + n) mod 256 for i < 2 * width; the
 *         `yuyv_padding` bytes ending each row are 0;
 *   MJPG: FF D8 FF E0, n as 4 bytes big-endian, (n mod 200) + 100 bytes of
 *         value n mod 256, FF D9.
 * Its timestamp is CLOCK_MONOTONIC `capture_delay_ms` before the dequeue,
 * flagged V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC.
 *
 * Test controls: fake_v4l2_set(key, value) with keys "present",
 * "yuyv_padding", "capture_delay_ms" and "fail_after_frames" (DQBUF fails
 * with ENODEV from that frame on, -1 never); fake_v4l2_reset();
 * fake_v4l2_log() returns the calls made, one per line; fake_v4l2_layout()
 * returns the kernel header's struct sizes, offsets and request codes as
 * JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/videodev2.h>

#define FIRST_FD 1000
#define MAX_BUFFERS 8
#define LOG_CAP 65536
#define OFFSET_STEP 0x1000000

static const uint32_t SIZES[][2] = {{320, 240}, {640, 480}, {1280, 720}};
static const uint32_t FPS[] = {5, 15, 30};

typedef struct camera {
  int open;
  uint32_t pixelformat, width, height, bytesperline, sizeimage, fps;
  uint32_t buffer_count;
  uint8_t *buffers[MAX_BUFFERS];
  int queued[MAX_BUFFERS];
  int streaming;
  int64_t stream_start_ns;
  uint32_t sequence;
} camera;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static camera cam;
static int64_t present = 1, yuyv_padding = 0, capture_delay_ms = 0,
               fail_after_frames = -1;
static char call_log[LOG_CAP];
static size_t log_length;

static void note(const char *format, ...) {
  va_list args;
  va_start(args, format);
  int n = vsnprintf(call_log + log_length, LOG_CAP - log_length, format, args);
  va_end(args);
  if (n > 0 && log_length + n + 1 < LOG_CAP) {
    log_length += n;
    call_log[log_length++] = '\n';
    call_log[log_length] = '\0';
  }
}

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *fourcc(uint32_t f, char out[5]) {
  for (int i = 0; i < 4; i++) out[i] = (char)((f >> (8 * i)) & 0xff);
  out[4] = '\0';
  return out;
}

static void free_buffers(void) {
  for (uint32_t i = 0; i < cam.buffer_count; i++) free(cam.buffers[i]);
  cam.buffer_count = 0;
}

static void apply_format(uint32_t pixelformat, uint32_t width,
                         uint32_t height) {
  cam.pixelformat = pixelformat == V4L2_PIX_FMT_MJPEG ? V4L2_PIX_FMT_MJPEG
                                                      : V4L2_PIX_FMT_YUYV;
  int64_t best = -1;
  for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++) {
    int64_t d = llabs((int64_t)SIZES[i][0] * SIZES[i][1] -
                      (int64_t)width * height);
    if (best < 0 || d < best) {
      best = d;
      cam.width = SIZES[i][0];
      cam.height = SIZES[i][1];
    }
  }
  if (cam.pixelformat == V4L2_PIX_FMT_YUYV) {
    cam.bytesperline = 2 * cam.width + (uint32_t)yuyv_padding;
    cam.sizeimage = cam.bytesperline * cam.height;
  } else {
    cam.bytesperline = 0;
    cam.sizeimage = cam.width * cam.height;
  }
}

static void fill_pix(struct v4l2_pix_format *pix) {
  memset(pix, 0, sizeof *pix);
  pix->width = cam.width;
  pix->height = cam.height;
  pix->pixelformat = cam.pixelformat;
  pix->field = V4L2_FIELD_NONE;
  pix->bytesperline = cam.bytesperline;
  pix->sizeimage = cam.sizeimage;
  pix->colorspace = cam.pixelformat == V4L2_PIX_FMT_MJPEG
                        ? V4L2_COLORSPACE_JPEG
                        : V4L2_COLORSPACE_SRGB;
}

static uint32_t render(uint8_t *frame, uint32_t n) {
  if (cam.pixelformat == V4L2_PIX_FMT_YUYV) {
    for (uint32_t y = 0; y < cam.height; y++) {
      uint8_t *row = frame + (size_t)y * cam.bytesperline;
      for (uint32_t i = 0; i < 2 * cam.width; i++) {
        row[i] = (uint8_t)(i + 3 * y + n);
      }
      memset(row + 2 * cam.width, 0, cam.bytesperline - 2 * cam.width);
    }
    return cam.sizeimage;
  }
  uint32_t filler = n % 200 + 100;
  uint8_t head[8] = {0xff, 0xd8, 0xff, 0xe0, (uint8_t)(n >> 24),
                     (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
  memcpy(frame, head, sizeof head);
  memset(frame + sizeof head, (uint8_t)n, filler);
  frame[sizeof head + filler] = 0xff;
  frame[sizeof head + filler + 1] = 0xd9;
  return sizeof head + filler + 2;
}

static int is_camera_path(const char *path) {
  const char *slash = strrchr(path, '/');
  return strncmp(slash != NULL ? slash + 1 : path, "video", 5) == 0;
}

int open(const char *path, int flags, ...) {
  pthread_mutex_lock(&lock);
  note("open %s%s", path, (flags & O_NONBLOCK) ? " O_NONBLOCK" : "");
  int fd = -1;
  if (!is_camera_path(path) || !present) {
    errno = ENOENT;
  } else if (cam.open) {
    errno = EBUSY;
  } else {
    memset(&cam, 0, sizeof cam);
    cam.open = 1;
    cam.fps = 30;
    apply_format(V4L2_PIX_FMT_YUYV, 640, 480);
    fd = FIRST_FD;
  }
  pthread_mutex_unlock(&lock);
  return fd;
}

int close(int fd) {
  pthread_mutex_lock(&lock);
  note("close");
  int result = 0;
  if (fd != FIRST_FD || !cam.open) {
    errno = EBADF;
    result = -1;
  } else {
    free_buffers();
    cam.open = 0;
  }
  pthread_mutex_unlock(&lock);
  return result;
}

void *mmap(void *addr, size_t length, int prot, int flags, int fd,
           long offset) {
  (void)addr, (void)prot, (void)flags;
  pthread_mutex_lock(&lock);
  note("mmap %ld %zu", offset / OFFSET_STEP, length);
  void *result = (void *)-1;
  uint32_t index = (uint32_t)(offset / OFFSET_STEP);
  if (fd != FIRST_FD || offset % OFFSET_STEP != 0 ||
      index >= cam.buffer_count || length != cam.sizeimage) {
    errno = EINVAL;
  } else {
    result = cam.buffers[index];
  }
  pthread_mutex_unlock(&lock);
  return result;
}

int munmap(void *addr, size_t length) {
  (void)addr;
  pthread_mutex_lock(&lock);
  note("munmap %zu", length);
  pthread_mutex_unlock(&lock);
  return 0;
}

static int64_t frame_due_ns(void) {
  return cam.stream_start_ns +
         (int64_t)cam.sequence * (1000000000LL / cam.fps);
}

static int frame_ready(void) {
  for (uint32_t i = 0; i < cam.buffer_count; i++) {
    if (cam.queued[i]) return monotonic_ns() >= frame_due_ns();
  }
  return 0;
}

int poll(struct pollfd *fds, nfds_t nfds, int timeout) {
  int64_t deadline = monotonic_ns() + (int64_t)timeout * 1000000LL;
  for (;;) {
    pthread_mutex_lock(&lock);
    int ready = 0;
    for (nfds_t i = 0; i < nfds; i++) {
      fds[i].revents = 0;
      if (fds[i].fd != FIRST_FD || !cam.open) continue;
      if (!present) {
        fds[i].revents = POLLERR | POLLHUP;
      } else if (cam.streaming && frame_ready()) {
        fds[i].revents = POLLIN | POLLRDNORM;
      }
      if (fds[i].revents != 0) ready++;
    }
    pthread_mutex_unlock(&lock);
    if (ready > 0 || (timeout >= 0 && monotonic_ns() >= deadline)) {
      return ready;
    }
    struct timespec nap = {0, 1000000};
    nanosleep(&nap, NULL);
  }
}

static int query_buffer(struct v4l2_buffer *b) {
  if (b->index >= cam.buffer_count) return EINVAL;
  b->length = cam.sizeimage;
  b->m.offset = b->index * OFFSET_STEP;
  b->flags = V4L2_BUF_FLAG_MAPPED |
             (cam.queued[b->index] ? V4L2_BUF_FLAG_QUEUED : 0);
  return 0;
}

static int dequeue(struct v4l2_buffer *b) {
  if (!cam.streaming) return EINVAL;
  if (!present ||
      (fail_after_frames >= 0 && cam.sequence >= fail_after_frames)) {
    return ENODEV;
  }
  for (uint32_t i = 0; i < cam.buffer_count; i++) {
    if (!cam.queued[i]) continue;
    if (monotonic_ns() < frame_due_ns()) return EAGAIN;
    cam.queued[i] = 0;
    memset(b, 0, sizeof *b);
    b->index = i;
    b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b->memory = V4L2_MEMORY_MMAP;
    b->bytesused = render(cam.buffers[i], cam.sequence);
    b->length = cam.sizeimage;
    b->m.offset = i * OFFSET_STEP;
    b->field = V4L2_FIELD_NONE;
    b->flags = V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_DONE |
               V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC | V4L2_BUF_FLAG_TSTAMP_SRC_SOE;
    b->sequence = cam.sequence++;
    int64_t t = monotonic_ns() - capture_delay_ms * 1000000LL;
    b->timestamp.tv_sec = t / 1000000000LL;
    b->timestamp.tv_usec = (t % 1000000000LL) / 1000;
    return 0;
  }
  return EAGAIN;
}

static int handle(unsigned long request, void *arg) {
  char f[5];
  switch (request) {
    case VIDIOC_QUERYCAP: {
      struct v4l2_capability *c = arg;
      note("QUERYCAP");
      memset(c, 0, sizeof *c);
      strcpy((char *)c->driver, "uvcvideo");
      strcpy((char *)c->card, "Fake UVC Camera");
      strcpy((char *)c->bus_info, "usb-0000:00:14.0-1");
      c->version = 0x060100;
      c->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
      c->capabilities = c->device_caps | V4L2_CAP_DEVICE_CAPS;
      return 0;
    }
    case VIDIOC_ENUM_FMT: {
      struct v4l2_fmtdesc *d = arg;
      note("ENUM_FMT %u", d->index);
      if (d->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || d->index > 1) {
        return EINVAL;
      }
      uint32_t index = d->index;
      memset(d, 0, sizeof *d);
      d->index = index;
      d->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      d->pixelformat = index == 0 ? V4L2_PIX_FMT_MJPEG : V4L2_PIX_FMT_YUYV;
      d->flags = index == 0 ? V4L2_FMT_FLAG_COMPRESSED : 0;
      strcpy((char *)d->description, index == 0 ? "Motion-JPEG" : "YUYV 4:2:2");
      return 0;
    }
    case VIDIOC_G_FMT:
    case VIDIOC_S_FMT: {
      struct v4l2_format *fmt = arg;
      if (fmt->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) return EINVAL;
      if (request == VIDIOC_S_FMT) {
        note("S_FMT %s %ux%u", fourcc(fmt->fmt.pix.pixelformat, f),
             fmt->fmt.pix.width, fmt->fmt.pix.height);
        if (cam.buffer_count > 0) return EBUSY;
        apply_format(fmt->fmt.pix.pixelformat, fmt->fmt.pix.width,
                     fmt->fmt.pix.height);
      } else {
        note("G_FMT");
      }
      fill_pix(&fmt->fmt.pix);
      return 0;
    }
    case VIDIOC_G_PARM:
    case VIDIOC_S_PARM: {
      struct v4l2_streamparm *p = arg;
      if (p->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) return EINVAL;
      struct v4l2_fract *tpf = &p->parm.capture.timeperframe;
      if (request == VIDIOC_S_PARM) {
        note("S_PARM %u/%u", tpf->numerator, tpf->denominator);
        double want = tpf->numerator > 0
                          ? (double)tpf->denominator / tpf->numerator
                          : 30;
        cam.fps = FPS[0];
        for (size_t i = 0; i < sizeof FPS / sizeof FPS[0]; i++) {
          if (FPS[i] <= want + 0.5) cam.fps = FPS[i];
        }
      } else {
        note("G_PARM");
      }
      memset(&p->parm, 0, sizeof p->parm);
      p->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
      tpf->numerator = 1;
      tpf->denominator = cam.fps;
      return 0;
    }
    case VIDIOC_REQBUFS: {
      struct v4l2_requestbuffers *r = arg;
      note("REQBUFS %u", r->count);
      if (r->type != V4L2_BUF_TYPE_VIDEO_CAPTURE ||
          r->memory != V4L2_MEMORY_MMAP) {
        return EINVAL;
      }
      if (cam.streaming) return EBUSY;
      free_buffers();
      uint32_t count = r->count == 0 ? 0 : r->count < 2 ? 2 : r->count;
      if (count > MAX_BUFFERS) count = MAX_BUFFERS;
      for (uint32_t i = 0; i < count; i++) {
        cam.buffers[i] = calloc(1, cam.sizeimage);
        cam.queued[i] = 0;
        if (cam.buffers[i] == NULL) return ENOMEM;
        cam.buffer_count = i + 1;
      }
      r->count = count;
      r->capabilities = V4L2_BUF_CAP_SUPPORTS_MMAP;
      return 0;
    }
    case VIDIOC_QUERYBUF: {
      struct v4l2_buffer *b = arg;
      note("QUERYBUF %u", b->index);
      return query_buffer(b);
    }
    case VIDIOC_QBUF: {
      struct v4l2_buffer *b = arg;
      note("QBUF %u", b->index);
      if (b->index >= cam.buffer_count || b->memory != V4L2_MEMORY_MMAP) {
        return EINVAL;
      }
      cam.queued[b->index] = 1;
      return 0;
    }
    case VIDIOC_DQBUF: {
      int result = dequeue(arg);
      if (result != EAGAIN) note("DQBUF %s", result == 0 ? "ok" : strerror(result));
      return result;
    }
    case VIDIOC_STREAMON:
      note("STREAMON");
      if (cam.buffer_count == 0) return EINVAL;
      cam.streaming = 1;
      cam.sequence = 0;
      cam.stream_start_ns = monotonic_ns();
      return 0;
    case VIDIOC_STREAMOFF:
      note("STREAMOFF");
      cam.streaming = 0;
      for (uint32_t i = 0; i < cam.buffer_count; i++) cam.queued[i] = 0;
      return 0;
    default:
      note("ioctl 0x%lx", request);
      return ENOTTY;
  }
}

int ioctl(int fd, unsigned long request, ...) {
  va_list args;
  va_start(args, request);
  void *arg = va_arg(args, void *);
  va_end(args);
  pthread_mutex_lock(&lock);
  int result = fd == FIRST_FD && cam.open ? handle(request, arg) : EBADF;
  pthread_mutex_unlock(&lock);
  if (result != 0) {
    errno = result;
    return -1;
  }
  return 0;
}

void fake_v4l2_set(const char *key, int64_t value) {
  pthread_mutex_lock(&lock);
  if (strcmp(key, "present") == 0) present = value;
  if (strcmp(key, "yuyv_padding") == 0) yuyv_padding = value;
  if (strcmp(key, "capture_delay_ms") == 0) capture_delay_ms = value;
  if (strcmp(key, "fail_after_frames") == 0) fail_after_frames = value;
  pthread_mutex_unlock(&lock);
}

void fake_v4l2_reset(void) {
  pthread_mutex_lock(&lock);
  present = 1;
  yuyv_padding = 0;
  capture_delay_ms = 0;
  fail_after_frames = -1;
  log_length = 0;
  call_log[0] = '\0';
  pthread_mutex_unlock(&lock);
}

uint32_t fake_v4l2_log(char *out, uint32_t cap) {
  pthread_mutex_lock(&lock);
  int n = snprintf(out, cap, "%s", call_log);
  pthread_mutex_unlock(&lock);
  return (uint32_t)n;
}

uint32_t fake_v4l2_layout(char *out, uint32_t cap) {
  int n = snprintf(
      out, cap,
      "{\"v4l2_capability\":{\"size\":%zu,\"driver\":%zu,\"card\":%zu,"
      "\"bus_info\":%zu,\"version\":%zu,\"capabilities\":%zu,"
      "\"device_caps\":%zu},"
      "\"v4l2_fmtdesc\":{\"size\":%zu,\"index\":%zu,\"type\":%zu,"
      "\"flags\":%zu,\"description\":%zu,\"pixelformat\":%zu},"
      "\"v4l2_format\":{\"size\":%zu,\"type\":%zu,\"pix\":%zu},"
      "\"v4l2_pix_format\":{\"size\":%zu,\"width\":%zu,\"height\":%zu,"
      "\"pixelformat\":%zu,\"field\":%zu,\"bytesperline\":%zu,"
      "\"sizeimage\":%zu,\"colorspace\":%zu},"
      "\"v4l2_requestbuffers\":{\"size\":%zu,\"count\":%zu,\"type\":%zu,"
      "\"memory\":%zu},"
      "\"v4l2_buffer\":{\"size\":%zu,\"index\":%zu,\"type\":%zu,"
      "\"bytesused\":%zu,\"flags\":%zu,\"field\":%zu,\"timestamp_sec\":%zu,"
      "\"timestamp_usec\":%zu,\"sequence\":%zu,\"memory\":%zu,"
      "\"offset\":%zu,\"length\":%zu},"
      "\"v4l2_streamparm\":{\"size\":%zu,\"type\":%zu,\"capability\":%zu,"
      "\"numerator\":%zu,\"denominator\":%zu},"
      "\"requests\":{\"VIDIOC_QUERYCAP\":%lu,\"VIDIOC_ENUM_FMT\":%lu,"
      "\"VIDIOC_G_FMT\":%lu,\"VIDIOC_S_FMT\":%lu,\"VIDIOC_REQBUFS\":%lu,"
      "\"VIDIOC_QUERYBUF\":%lu,\"VIDIOC_QBUF\":%lu,\"VIDIOC_DQBUF\":%lu,"
      "\"VIDIOC_STREAMON\":%lu,\"VIDIOC_STREAMOFF\":%lu,"
      "\"VIDIOC_G_PARM\":%lu,\"VIDIOC_S_PARM\":%lu}}",
      sizeof(struct v4l2_capability), offsetof(struct v4l2_capability, driver),
      offsetof(struct v4l2_capability, card),
      offsetof(struct v4l2_capability, bus_info),
      offsetof(struct v4l2_capability, version),
      offsetof(struct v4l2_capability, capabilities),
      offsetof(struct v4l2_capability, device_caps),
      sizeof(struct v4l2_fmtdesc), offsetof(struct v4l2_fmtdesc, index),
      offsetof(struct v4l2_fmtdesc, type), offsetof(struct v4l2_fmtdesc, flags),
      offsetof(struct v4l2_fmtdesc, description),
      offsetof(struct v4l2_fmtdesc, pixelformat), sizeof(struct v4l2_format),
      offsetof(struct v4l2_format, type), offsetof(struct v4l2_format, fmt.pix),
      sizeof(struct v4l2_pix_format), offsetof(struct v4l2_pix_format, width),
      offsetof(struct v4l2_pix_format, height),
      offsetof(struct v4l2_pix_format, pixelformat),
      offsetof(struct v4l2_pix_format, field),
      offsetof(struct v4l2_pix_format, bytesperline),
      offsetof(struct v4l2_pix_format, sizeimage),
      offsetof(struct v4l2_pix_format, colorspace),
      sizeof(struct v4l2_requestbuffers),
      offsetof(struct v4l2_requestbuffers, count),
      offsetof(struct v4l2_requestbuffers, type),
      offsetof(struct v4l2_requestbuffers, memory), sizeof(struct v4l2_buffer),
      offsetof(struct v4l2_buffer, index), offsetof(struct v4l2_buffer, type),
      offsetof(struct v4l2_buffer, bytesused),
      offsetof(struct v4l2_buffer, flags), offsetof(struct v4l2_buffer, field),
      offsetof(struct v4l2_buffer, timestamp.tv_sec),
      offsetof(struct v4l2_buffer, timestamp.tv_usec),
      offsetof(struct v4l2_buffer, sequence),
      offsetof(struct v4l2_buffer, memory),
      offsetof(struct v4l2_buffer, m.offset),
      offsetof(struct v4l2_buffer, length), sizeof(struct v4l2_streamparm),
      offsetof(struct v4l2_streamparm, type),
      offsetof(struct v4l2_streamparm, parm.capture.capability),
      offsetof(struct v4l2_streamparm, parm.capture.timeperframe.numerator),
      offsetof(struct v4l2_streamparm, parm.capture.timeperframe.denominator),
      (unsigned long)VIDIOC_QUERYCAP, (unsigned long)VIDIOC_ENUM_FMT,
      (unsigned long)VIDIOC_G_FMT, (unsigned long)VIDIOC_S_FMT,
      (unsigned long)VIDIOC_REQBUFS, (unsigned long)VIDIOC_QUERYBUF,
      (unsigned long)VIDIOC_QBUF, (unsigned long)VIDIOC_DQBUF,
      (unsigned long)VIDIOC_STREAMON, (unsigned long)VIDIOC_STREAMOFF,
      (unsigned long)VIDIOC_G_PARM, (unsigned long)VIDIOC_S_PARM);
  return (uint32_t)n;
}
