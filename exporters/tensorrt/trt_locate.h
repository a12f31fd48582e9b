/* exporters/tensorrt/trt_locate.h — finding TensorRT on this machine: the `trtexec` program (which
 * the plugin runs to build engines) and, for the message when it is missing, TensorRT's libraries. */
#ifndef CPOSE_TRT_LOCATE_H
#define CPOSE_TRT_LOCATE_H

#include "exporters/common/host_buf.h"

/* The environment variable naming a stand-in for trtexec. TEST SEAM ONLY: tests point it at a
 * small script that writes some bytes where --saveEngine= says, so the container can be checked
 * on machines without TensorRT. It is never needed by users. */
#define TRT_FAKE_TRTEXEC_ENV "CPOSE_TRT_FAKE_TRTEXEC"

/* Returns the path of an executable trtexec (host-allocated; free with h->free), searching
 * CPOSE_TRT_FAKE_TRTEXEC, then each folder of PATH, then TensorRT's usual install folders. When
 * none is found returns NULL and appends to *why what was looked for: the folders, and which of
 * libnvinfer.so.10/.8 and libnvonnxparser.so.10/.8 dlopen found. */
char *trt_find_trtexec(const struct cpose_host *h, struct host_buf *why);

#endif
