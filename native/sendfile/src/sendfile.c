/*
 * sendfile(2) from a file into a non-blocking TCP socket, and a one-shot wait for that socket
 * to become writable on the libuv loop of the calling thread. Linux only.
 *
 *   sendfile(sockFd, fileFd, offset, count) -> bytes sent
 *     Loops the syscall until `count` bytes are sent or the socket buffer is full (EAGAIN);
 *     returns what was sent (less than `count` means "wait for writable, then call again").
 *     An error after some bytes were sent returns those bytes; the next call, which meets the
 *     error again (a reset socket stays reset), throws it as Node does: code ("EPIPE"),
 *     errno (negative), syscall. A file that ends before offset + count throws
 *     ERR_SENDFILE_EOF instead of returning 0 for ever.
 *
 *   waitWritable(sockFd, callback(status)) -> { cancel() }
 *     Calls back once, when the socket is writable (status 0) or has an error (status < 0, a
 *     libuv error code; the next sendfile gives the real one). libuv already has sockFd in its
 *     epoll set (the socket's own reads and writes), and epoll refuses the same fd twice, so
 *     the poll watches a dup(2) of it: another fd number for the same socket. The dup is
 *     closed after uv_close. cancel() stops the wait; the callback is then never called.
 *
 * The caller must only pass a socket fd it knows is still open (Node closes a destroyed
 * socket's fd at once, and the number can be reused by the next open).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

/* What one sendfile(2) moves at most (the kernel's MAX_RW_COUNT). */
#define MAX_PER_CALL 0x7ffff000L
/* Number.MAX_SAFE_INTEGER: offsets and counts come from JS numbers. */
#define MAX_SAFE 9007199254740991.0

/* Return NULL (a pending JS exception) when an N-API call fails. */
#define CHECK(env, call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      throw_last(env);                                                     \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static void throw_last (napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  napi_throw_error(env, NULL, info != NULL && info->error_message != NULL ? info->error_message : "N-API call failed");
}

/* An Error like Node's own for a failed syscall: message, code, errno (negative), syscall. */
static napi_value errno_error (napi_env env, int uv_err, const char *syscall) {
  char name[32];
  char text[96];
  char message[160];
  uv_err_name_r(uv_err, name, sizeof name);
  uv_strerror_r(uv_err, text, sizeof text);
  snprintf(message, sizeof message, "%s: %s, %s", name, text, syscall);
  napi_value code_v, message_v, errno_v, syscall_v, error;
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code_v) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_v) != napi_ok ||
      napi_create_error(env, code_v, message_v, &error) != napi_ok ||
      napi_create_int32(env, uv_err, &errno_v) != napi_ok ||
      napi_set_named_property(env, error, "errno", errno_v) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_v) != napi_ok ||
      napi_set_named_property(env, error, "syscall", syscall_v) != napi_ok) {
    return NULL;
  }
  return error;
}

static void throw_errno (napi_env env, int uv_err, const char *syscall) {
  napi_value error = errno_error(env, uv_err, syscall);
  if (error != NULL) napi_throw(env, error);
  else throw_last(env);
}

/* A non-negative integer argument no larger than `max`; false (and a thrown TypeError or RangeError) otherwise. */
static bool get_count (napi_env env, napi_value v, const char *what, double max, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    char message[64];
    snprintf(message, sizeof message, "%s must be a number", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
    return false;
  }
  if (!(d >= 0 && d <= max && d == (double)(int64_t)d)) {
    char message[96];
    snprintf(message, sizeof message, "%s must be an integer from 0 to %.0f", what, max);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message);
    return false;
  }
  *out = (int64_t)d;
  return true;
}

static napi_value js_sendfile (napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "sendfile(sockFd, fileFd, offset, count)");
    return NULL;
  }
  int64_t sock, file, offset, count;
  if (!get_count(env, argv[0], "sockFd", INT32_MAX, &sock) ||
      !get_count(env, argv[1], "fileFd", INT32_MAX, &file) ||
      !get_count(env, argv[2], "offset", MAX_SAFE, &offset) ||
      !get_count(env, argv[3], "count", MAX_SAFE - (double)offset, &count)) {
    return NULL;
  }

  off_t pos = (off_t)offset;
  int64_t sent = 0;
  while (sent < count) {
    size_t want = (size_t)(count - sent < MAX_PER_CALL ? count - sent : MAX_PER_CALL);
    ssize_t n = sendfile((int)sock, (int)file, &pos, want);
    if (n > 0) {
      sent += n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    /* The bytes that went out are reported; the next call meets the condition again. */
    if (sent > 0) break;
    if (n == 0) {
      napi_throw_error(env, "ERR_SENDFILE_EOF", "the file ends before offset + count");
    } else {
      throw_errno(env, -errno, "sendfile");
    }
    return NULL;
  }
  napi_value result;
  CHECK(env, napi_create_double(env, (double)sent, &result));
  return result;
}

typedef struct {
  uv_poll_t poll;
  napi_env env;
  /* The JS callback; NULL once it was called or the wait cancelled. */
  napi_ref callback;
  /* The JS handle object, held until uv_close is done (it owns this struct through napi_wrap). */
  napi_ref self;
  napi_async_context async;
  /* The dup of the socket fd the poll watches; closed after uv_close. */
  int fd;
  bool closing;
  /* Both set before the struct is freed: by the close callback and the wrap's finalizer. */
  bool closed;
  bool finalized;
} waiter_t;

static void on_close (uv_handle_t *handle) {
  waiter_t *w = handle->data;
  close(w->fd);
  w->closed = true;
  napi_env env = w->env;
  napi_handle_scope scope;
  bool scoped = napi_open_handle_scope(env, &scope) == napi_ok;
  if (w->callback != NULL) napi_delete_reference(env, w->callback);
  w->callback = NULL;
  if (w->async != NULL) napi_async_destroy(env, w->async);
  w->async = NULL;
  napi_ref self = w->self;
  w->self = NULL;
  bool finalized = w->finalized;
  if (scoped) napi_close_handle_scope(env, scope);
  if (self != NULL) napi_delete_reference(env, self); /* may run the finalizer later, at GC */
  if (finalized) free(w);
}

static void stop (waiter_t *w) {
  if (w->closing) return;
  w->closing = true;
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, on_close);
}

static void on_poll (uv_poll_t *handle, int status, int events) {
  (void)events;
  waiter_t *w = handle->data;
  napi_env env = w->env;
  stop(w);
  napi_ref callback = w->callback;
  w->callback = NULL;
  if (callback == NULL) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, arg;
  if (napi_get_reference_value(env, callback, &fn) == napi_ok && fn != NULL &&
      napi_get_reference_value(env, w->self, &recv) == napi_ok &&
      napi_create_int32(env, status, &arg) == napi_ok) {
    /* napi_make_callback runs the microtasks and nextTicks the callback queued, as Node's own I/O callbacks do. */
    if (napi_make_callback(env, w->async, recv, fn, 1, &arg, NULL) == napi_pending_exception) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }
  napi_delete_reference(env, callback);
  napi_close_handle_scope(env, scope);
}

static void finalize (napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  waiter_t *w = data;
  w->finalized = true;
  if (w->closed) free(w);
}

static napi_value js_cancel (napi_env env, napi_callback_info info) {
  napi_value self;
  CHECK(env, napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  waiter_t *w = NULL;
  CHECK(env, napi_unwrap(env, self, (void **)&w));
  if (w->callback != NULL) {
    napi_delete_reference(env, w->callback);
    w->callback = NULL;
  }
  stop(w);
  return NULL;
}

static napi_value js_wait_writable (napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t sock;
  napi_valuetype type = napi_undefined;
  if (argc < 2 || napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "waitWritable(sockFd, callback)");
    return NULL;
  }
  if (!get_count(env, argv[0], "sockFd", INT32_MAX, &sock)) return NULL;
  uv_loop_t *loop;
  CHECK(env, napi_get_uv_event_loop(env, &loop));

  int fd = fcntl((int)sock, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, -errno, "dup");
    return NULL;
  }
  waiter_t *w = calloc(1, sizeof *w);
  if (w == NULL) {
    close(fd);
    throw_errno(env, UV_ENOMEM, "waitWritable");
    return NULL;
  }
  w->env = env;
  w->fd = fd;
  w->poll.data = w;
  int r = uv_poll_init(loop, &w->poll, fd);
  if (r < 0) {
    close(fd);
    free(w);
    throw_errno(env, r, "uv_poll_init");
    return NULL;
  }
  /* From here the struct is freed by on_close, and also needs finalize once the handle object exists. */
  napi_value handle, cancel, name;
  if (napi_create_object(env, &handle) != napi_ok ||
      napi_create_function(env, "cancel", NAPI_AUTO_LENGTH, js_cancel, NULL, &cancel) != napi_ok ||
      napi_set_named_property(env, handle, "cancel", cancel) != napi_ok ||
      napi_create_string_utf8(env, "tod-p2m:sendfile-wait", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, handle, name, &w->async) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &w->callback) != napi_ok ||
      napi_create_reference(env, handle, 1, &w->self) != napi_ok ||
      napi_wrap(env, handle, w, finalize, NULL, NULL) != napi_ok) {
    w->finalized = true; /* never wrapped: on_close frees it */
    stop(w);
    throw_last(env);
    return NULL;
  }
  r = uv_poll_start(&w->poll, UV_WRITABLE, on_poll);
  if (r < 0) {
    stop(w);
    throw_errno(env, r, "uv_poll_start");
    return NULL;
  }
  return handle;
}

NAPI_MODULE_INIT () {
  napi_property_descriptor props[] = {
    { "sendfile", NULL, js_sendfile, NULL, NULL, NULL, napi_enumerable, NULL },
    { "waitWritable", NULL, js_wait_writable, NULL, NULL, NULL, napi_enumerable, NULL }
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
