/* core/nn/h5io_guard.c — what keeps a damaged HDF5 file from taking cpose down: the content seal of
 * cpose's own files (a 512-byte HDF5 user block holding the SHA-256 of everything after it, checked
 * before libhdf5 reads a byte) and, for files cpose did not write, a probe that walks the whole file
 * with libhdf5 in a forked child first, so that a crash or hang inside libhdf5 becomes an error.
 *
 * Why a child process: libhdf5 trusts its on-disk metadata (heap offsets, B-tree nodes, global-heap
 * ids of variable-length strings); one flipped byte can make it read or write out of bounds, and it
 * cannot be validated from outside without re-implementing the format. The child performs every read
 * the parent can later perform (each link, each attribute in the type it has, each dataset's data);
 * libhdf5 is deterministic for a given file, so when the child survives the parent's reads do too,
 * and when it does not, the parent has not run a single libhdf5 call on the file. */
#include "core/nn/h5io_impl.h"
#include "core/base/alloc.h"

#include <errno.h>
#include <hdf5.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEAL_MAGIC "CPOSE-H5 1\n"

/* SHA-256 of bytes [from, end) of an open file, as lowercase hex; *len gets the byte count. */
static int hash_from(FILE *fp, long from, char hex[65], uint64_t *len)
{
    if (fseek(fp, from, SEEK_SET) != 0) return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    static _Thread_local unsigned char buf[1 << 16];
    size_t got;
    uint64_t total = 0;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
        EVP_DigestUpdate(ctx, buf, got);
        total += got;
    }
    int err = ferror(fp);
    unsigned char md[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx, md, &n);
    EVP_MD_CTX_free(ctx);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    *len = total;
    return err ? -1 : 0;
}

int cpose_h5_seal(const char *tmp_path)
{
    FILE *fp = fopen(tmp_path, "r+b");
    if (!fp) return cpose_err(CPOSE_EIO, "cannot reopen '%s' to seal it: %s", tmp_path, strerror(errno));
    char hex[65];
    uint64_t len;
    int rc = CPOSE_OK;
    if (hash_from(fp, CPOSE_H5_USERBLOCK, hex, &len) != 0) {
        rc = cpose_err(CPOSE_EIO, "cannot read back '%s' to checksum it", tmp_path);
    } else {
        char block[CPOSE_H5_USERBLOCK] = {0};
        snprintf(block, sizeof block, SEAL_MAGIC "sha256 %s\nbytes %llu\n", hex, (unsigned long long)len);
        if (fseek(fp, 0, SEEK_SET) != 0 || fwrite(block, 1, sizeof block, fp) != sizeof block || fflush(fp) != 0 ||
            fsync(fileno(fp)) != 0)
            rc = cpose_err(CPOSE_EIO, "cannot write the checksum block of '%s': %s", tmp_path, strerror(errno));
    }
    if (fclose(fp) != 0 && rc == CPOSE_OK) rc = cpose_err(CPOSE_EIO, "cannot close '%s'", tmp_path);
    return rc;
}

int cpose_h5_verify_seal(const char *path, int *sealed)
{
    *sealed = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return cpose_err(CPOSE_EIO, "cannot open '%s': %s", path, strerror(errno));
    char block[CPOSE_H5_USERBLOCK + 1] = {0};
    size_t got = fread(block, 1, CPOSE_H5_USERBLOCK, fp);
    int rc = CPOSE_OK;
    if (got == CPOSE_H5_USERBLOCK && memcmp(block, SEAL_MAGIC, strlen(SEAL_MAGIC)) == 0) {
        *sealed = 1;
        char want[65] = "";
        unsigned long long want_len = 0;
        if (sscanf(block + strlen(SEAL_MAGIC), "sha256 %64[0-9a-f]\nbytes %llu", want, &want_len) != 2 ||
            strlen(want) != 64) {
            rc = cpose_err(CPOSE_EINVAL, "'%s' is damaged: its cpose checksum block is unreadable; re-save or re-download it",
                           path);
        } else {
            char hex[65];
            uint64_t len;
            if (hash_from(fp, CPOSE_H5_USERBLOCK, hex, &len) != 0)
                rc = cpose_err(CPOSE_EIO, "cannot read '%s' to verify its checksum", path);
            else if (len != want_len)
                rc = cpose_err(CPOSE_EINVAL,
                               "'%s' is damaged: %llu bytes after the header where cpose wrote %llu (truncated or "
                               "appended to); re-save or re-download it",
                               path, (unsigned long long)len, want_len);
            else if (strcmp(hex, want) != 0)
                rc = cpose_err(CPOSE_EINVAL,
                               "'%s' is damaged: its content checksum (sha256 %.12s…) does not match the one cpose "
                               "wrote (%.12s…); the file changed after it was saved — re-save or re-download it",
                               path, hex, want);
        }
    }
    fclose(fp);
    return rc;
}

/* ---- the probe (runs in the child) ---- */

static herr_t probe_attr(hid_t obj, const char *name, const H5A_info_t *info, void *unused)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return 0;
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    hssize_t cnt = H5Sget_simple_extent_npoints(sp);
    H5T_class_t cls = H5Tget_class(t);
    if (cnt >= 0 && cnt <= (1 << 24)) {
        size_t n = cnt ? (size_t)cnt : 1;
        if (cls == H5T_STRING && H5Tis_variable_str(t) > 0) {
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            char **raw = calloc(n, sizeof *raw);
            if (raw && H5Aread(a, mt, raw) >= 0) {
                for (size_t i = 0; i < (size_t)cnt; i++)
                    if (raw[i]) (void)strlen(raw[i]);
                H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, raw);
            }
            free(raw);
            H5Tclose(mt);
        } else if (cls == H5T_STRING) {
            size_t fixed = H5Tget_size(t);
            if (fixed && fixed <= (1u << 26) / n) {
                char *raw = calloc(n, fixed + 1);
                hid_t mt = H5Tcopy(H5T_C_S1);
                H5Tset_size(mt, fixed);
                if (raw) H5Aread(a, mt, raw);
                H5Tclose(mt);
                free(raw);
            }
        } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
            double *buf = calloc(n, sizeof *buf);
            int64_t *ibuf = calloc(n, sizeof *ibuf);
            if (buf) H5Aread(a, H5T_NATIVE_DOUBLE, buf);
            if (ibuf) H5Aread(a, H5T_NATIVE_INT64, ibuf);
            free(buf);
            free(ibuf);
        }
    }
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    return 0;
}

static void probe_dataset(hid_t ds)
{
    hid_t t = H5Dget_type(ds), sp = H5Dget_space(ds);
    H5T_class_t cls = H5Tget_class(t);
    hssize_t cnt = H5Sget_simple_extent_npoints(sp);
    int nd = H5Sget_simple_extent_ndims(sp);
    if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && cnt > 0 && nd >= 0 && nd <= CPOSE_H5_MAX_DIMS &&
        (uint64_t)cnt <= CPOSE_H5_MAX_BYTES / sizeof(double)) {
        void *buf = malloc((size_t)cnt * sizeof(double));
        if (buf) {
            H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
            H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
            H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
            free(buf);
        }
    }
    H5Sclose(sp);
    H5Tclose(t);
}

static herr_t probe_link(hid_t root, const char *name, const H5L_info_t *info, void *unused)
{
    H5Lexists(root, name, H5P_DEFAULT);
    H5O_info_t oi;
    if (H5Oget_info_by_name2(root, name, &oi, H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS, H5P_DEFAULT) < 0) return 0;
    hid_t obj = H5Oopen(root, name, H5P_DEFAULT);
    if (obj < 0) return 0;
    H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, NULL, probe_attr, NULL);
    if (oi.type == H5O_TYPE_DATASET) probe_dataset(obj);
    H5Oclose(obj);
    return 0;
}

static void probe_child(const char *path)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) _exit(0); /* the parent reports libhdf5's refusal itself */
    H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, NULL, probe_attr, NULL);
    H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, probe_link, NULL);
    H5Fclose(f);
    _exit(0);
}

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_SANITIZER_DEATH_CALLBACK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_SANITIZER_DEATH_CALLBACK 1
#endif
#endif
#ifdef HAVE_SANITIZER_DEATH_CALLBACK
#include <sanitizer/common_interface_defs.h>
#endif

#ifdef HAVE_SANITIZER_DEATH_CALLBACK
/* Under a sanitizer (tests, fuzzing) a memory error inside libhdf5 in the child is a finding about
 * the file, not about cpose: the child just dies with a recognisable status. */
static void child_death(void) { _exit(CPOSE_H5_PROBE_SANITIZER_EXIT); }
#endif

int cpose_h5_probe(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return cpose_err(CPOSE_EIO, "cannot open '%s': %s", path, strerror(errno));
    /* time allowed: generous for reading the whole file at disk speed, bounded for a hang; env
     * CPOSE_H5_PROBE_SECONDS (1–3600) replaces the 30 s base (the fuzz targets use 5 s, under
     * libFuzzer's 25 s timeout, so that a hang inside libhdf5 is this error, not a finding) */
    const char *env = getenv("CPOSE_H5_PROBE_SECONDS");
    int set = env ? atoi(env) : 0;
    unsigned base = set >= 1 && set <= 3600 ? (unsigned)set : 30;
    unsigned limit = base + (unsigned)(st.st_size / (50u << 20));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return cpose_err(CPOSE_EIO, "cannot check '%s': fork failed: %s", path, strerror(errno));
    if (pid == 0) {
#ifdef HAVE_SANITIZER_DEATH_CALLBACK
        __sanitizer_set_death_callback(child_death);
#endif
        /* the alarm must end the child: a handler the host program installed would run instead */
        signal(SIGPIPE, SIG_DFL), signal(SIGALRM, SIG_DFL);
        alarm(limit);
        probe_child(path);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return cpose_err(CPOSE_EIO, "cannot check '%s': waitpid: %s", path, strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return CPOSE_OK;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        return cpose_err(CPOSE_EINVAL,
                         "'%s' is a damaged HDF5 file: libhdf5 was still reading its structure after %u s (a loop "
                         "in its metadata); nothing was loaded",
                         path, limit);
    if (WIFSIGNALED(status))
        return cpose_err(CPOSE_EINVAL,
                         "'%s' is a damaged HDF5 file: libhdf5 crashed (signal %d, %s) reading its structure in a "
                         "checking process; nothing was loaded — re-download or re-export it",
                         path, WTERMSIG(status), strsignal(WTERMSIG(status)));
    return cpose_err(CPOSE_EINVAL,
                     "'%s' is a damaged HDF5 file: libhdf5 failed (exit %d) reading its structure in a checking "
                     "process; nothing was loaded — re-download or re-export it",
                     path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
