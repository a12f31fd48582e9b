/* datasets/imghdr.h — image sizes from JPEG/PNG headers (with the EXIF orientation applied, as
 * OpenCV's decoder and Ultralytics' exif_size report them), so scans need not decode pixels. */
#ifndef CPOSE_IMGHDR_H
#define CPOSE_IMGHDR_H

#include <stddef.h>
#include <stdint.h>
#include "core/base/status.h"

/* Width and height of an in-memory JPEG or PNG. CPOSE_ENOTSUP for other formats (decode instead);
 * CPOSE_EINVAL with the reason for a malformed or truncated header. */
CPOSE_API int cpose_image_header_size(const uint8_t *data, size_t len, int *w, int *h);

#endif
