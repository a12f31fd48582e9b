/* datasets/extract.h — safe archive extraction with libarchive (zip, tar, tar.gz, tar.xz, tar.bz2). */
#ifndef CPOSE_EXTRACT_H
#define CPOSE_EXTRACT_H

#include "core/base/status.h"

/* Extracts archive `file` into folder `dir` (created when absent). Entries with an absolute path,
 * a ".." component, or a symlink/hardlink whose target leaves the destination are refused
 * (CPOSE_EINVAL naming the entry) before anything reaches `dir`: the archive is first unpacked into
 * a temporary folder beside `dir`, then each top-level entry is renamed into place (an existing
 * entry of the same name is replaced). An interrupted or refused extraction leaves `dir` as it
 * was. *n_entries (may be NULL) receives the number of entries extracted. */
CPOSE_API int cpose_extract(const char *file, const char *dir, long *n_entries);

/* Does the name look like an archive cpose extracts (.zip .tar .tar.gz .tgz .tar.xz .txz .tar.bz2 .tbz2)? */
CPOSE_API int cpose_is_archive_name(const char *name);

#endif
