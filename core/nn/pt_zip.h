/* core/nn/pt_zip.h — a read-only ZIP reader for torch.save archives (.pt checkpoints): the central
 * directory (ZIP64 too), stored and deflated members, a CRC-32 check on every member read, and
 * lookup of a member by its name inside the archive's top-level folder ("<archive>/data.pkl").
 *
 * The file is mapped read-only; stored members are returned as pointers into the mapping (no copy),
 * deflated ones are inflated once into a buffer the archive owns. Every offset and size from the
 * file is bounds-checked: a truncated or hostile archive is CPOSE_EINVAL naming the file and the
 * member, never a read outside the mapping. */
#ifndef CPOSE_PT_ZIP_H
#define CPOSE_PT_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/status.h"

struct cpose_pt_zip; /* opaque */

/* Opens path and reads its central directory. Returns an owned archive (cpose_pt_zip_close).
 * Not a ZIP (no end-of-central-directory record), encrypted members, or a method other than
 * stored/deflate are CPOSE_EINVAL with the file name. */
CPOSE_API int cpose_pt_zip_open(const char *path, struct cpose_pt_zip **out);
/* The same over bytes already in memory (borrowed: they must outlive the archive); name is used in
 * messages only. */
CPOSE_API int cpose_pt_zip_open_mem(const char *name, const void *data, size_t len, struct cpose_pt_zip **out);
CPOSE_API void cpose_pt_zip_close(struct cpose_pt_zip *z); /* NULL-safe */

/* The file name the archive was opened with (for messages). */
CPOSE_API const char *cpose_pt_zip_path(const struct cpose_pt_zip *z);
/* Number of members, and the i-th member's full name ("best/data/0"). */
CPOSE_API size_t cpose_pt_zip_count(const struct cpose_pt_zip *z);
CPOSE_API const char *cpose_pt_zip_name(const struct cpose_pt_zip *z, size_t i);
/* The archive's top-level folder, taken from the first member as torch does ("best"), or "" when
 * the first member has no folder. */
CPOSE_API const char *cpose_pt_zip_prefix(const struct cpose_pt_zip *z);

/* Index of the member "<prefix>/<rel>" (rel like "data.pkl" or "data/12"), or -1 when absent. */
CPOSE_API long cpose_pt_zip_find(const struct cpose_pt_zip *z, const char *rel);

/* The bytes of member i, uncompressed and CRC-checked: *data is borrowed from the archive and valid
 * until cpose_pt_zip_close. A CRC or size mismatch, data outside the file, or a damaged deflate
 * stream is CPOSE_EINVAL naming the member. */
CPOSE_API int cpose_pt_zip_read(struct cpose_pt_zip *z, size_t i, const uint8_t **data, size_t *len);

#endif
