/* exporters/tensorrt/trt_locate.c — locating trtexec (PATH, TensorRT's install folders, the test
 * seam) and probing TensorRT's shared libraries with dlopen for the "not found" message. */
#include "exporters/tensorrt/trt_locate.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where NVIDIA's packages and tarballs put trtexec when it is not on PATH. */
static const char *const install_dirs[] = {"/usr/src/tensorrt/bin", "/usr/local/tensorrt/bin", "/opt/tensorrt/bin", NULL};
/* The libraries an engine build needs (TensorRT 10 and 8 sonames). */
static const char *const libs[] = {"libnvinfer.so.10", "libnvinfer.so.8", "libnvonnxparser.so.10", "libnvonnxparser.so.8",
                                   NULL};

static char *join(const struct cpose_host *h, const char *dir, size_t n)
{
    char *p = h->alloc(n + sizeof "/trtexec");
    memcpy(p, dir, n);
    strcpy(p + n, "/trtexec");
    return p;
}

char *trt_find_trtexec(const struct cpose_host *h, struct host_buf *why)
{
    const char *fake = getenv(TRT_FAKE_TRTEXEC_ENV);
    if (fake && *fake) {
        if (access(fake, X_OK) == 0) {
            char *p = h->alloc(strlen(fake) + 1);
            return strcpy(p, fake);
        }
        host_buf_printf(why, "%s=%s is not an executable file; ", TRT_FAKE_TRTEXEC_ENV, fake);
    }
    const char *path = getenv("PATH");
    host_buf_printf(why, "looked for trtexec on PATH (%s)", path && *path ? path : "empty");
    for (const char *s = path ? path : ""; *s;) {
        const char *e = strchr(s, ':');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n) {
            char *p = join(h, s, n);
            if (access(p, X_OK) == 0) return p;
            h->free(p);
        }
        s += n + (e != NULL);
    }
    host_buf_printf(why, " and in");
    for (int i = 0; install_dirs[i]; i++) {
        char *p = join(h, install_dirs[i], strlen(install_dirs[i]));
        if (access(p, X_OK) == 0) return p;
        h->free(p);
        host_buf_printf(why, " %s", install_dirs[i]);
    }
    host_buf_printf(why, "; TensorRT libraries (dlopen):");
    for (int i = 0; libs[i]; i++) {
        void *d = dlopen(libs[i], RTLD_LAZY | RTLD_LOCAL);
        host_buf_printf(why, " %s %s", libs[i], d ? "found" : "not found");
        if (d) dlclose(d);
        host_buf_printf(why, libs[i + 1] ? "," : "");
    }
    return NULL;
}
