/* core/base/fsutil.c — path, directory, atomic-write and hashing helpers. */
#define _GNU_SOURCE
#include "core/base/fsutil.h"
#include "core/base/alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *cpose_path_join(const char *a, const char *b)
{
    if (!a || !*a) return cpose_strdup(b);
    if (b[0] == '/') return cpose_strdup(b);
    size_t la = strlen(a);
    while (la > 1 && a[la - 1] == '/') la--;
    return cpose_asprintf("%.*s/%s", (int)la, a, b);
}

char *cpose_path_dirname(const char *path)
{
    const char *s = strrchr(path, '/');
    if (!s) return cpose_strdup(".");
    if (s == path) return cpose_strdup("/");
    return cpose_strndup(path, (size_t)(s - path));
}

const char *cpose_path_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

const char *cpose_path_ext(const char *path)
{
    const char *b = cpose_path_basename(path);
    const char *d = strrchr(b, '.');
    return (d && d != b) ? d : "";
}

char *cpose_path_stem(const char *path)
{
    const char *b = cpose_path_basename(path);
    const char *e = cpose_path_ext(b);
    return cpose_strndup(b, *e ? (size_t)(e - b) : strlen(b));
}

int cpose_path_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int cpose_path_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int cpose_mkdirs(const char *path)
{
    char *p = cpose_strdup(path);
    int rc = CPOSE_OK;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                rc = cpose_err(CPOSE_EIO, "cannot create directory '%s': %s", p, strerror(errno));
                break;
            }
            *s = c;
            if (!c) break;
        }
    }
    if (rc == CPOSE_OK && !cpose_path_is_dir(path))
        rc = cpose_err(CPOSE_EIO, "'%s' exists and is not a directory", path);
    cpose_free(p);
    return rc;
}

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(p);
}

int cpose_remove_tree(const char *path)
{
    if (nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        return cpose_err(CPOSE_EIO, "cannot remove '%s': %s", path, strerror(errno));
    return CPOSE_OK;
}

static int count_non_dir(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)p, (void)st, (void)ftw;
    return flag == FTW_D || flag == FTW_DP ? 0 : 1; /* anything but a folder stops the walk */
}

int cpose_remove_dir_if_no_files(const char *path)
{
    if (!path || !cpose_path_is_dir(path)) return 0;
    if (nftw(path, count_non_dir, 32, FTW_PHYS) != 0) return 0;
    return cpose_remove_tree(path) == CPOSE_OK;
}

int cpose_read_file(const char *path, char **out, size_t *len)
{
    /* O_NONBLOCK: opening a FIFO (or a device) named like a data file must not wait for a writer;
     * only regular files are read */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return cpose_err(CPOSE_EIO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cpose_err(CPOSE_EIO, "'%s' is not a regular file (%s)", path,
                         S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a folder" : "a device or socket");
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        close(fd);
        return cpose_err(CPOSE_EIO, "cannot open '%s': %s", path, strerror(errno));
    }
    size_t n = (size_t)st.st_size;
    char *buf = cpose_malloc(n + 1);
    size_t got = fread(buf, 1, n, fp);
    fclose(fp);
    if (got != n) {
        cpose_free(buf);
        return cpose_err(CPOSE_EIO, "short read on '%s' (%zu of %zu bytes)", path, got, n);
    }
    buf[n] = 0;
    *out = buf;
    if (len) *len = n;
    return CPOSE_OK;
}

int cpose_atomic_open(struct cpose_atomic_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    f->path = cpose_strdup(path);
    f->tmp_path = cpose_asprintf("%s.tmp.%d", path, (int)getpid());
    f->fp = fopen(f->tmp_path, "wb");
    if (!f->fp) {
        int rc = cpose_err(CPOSE_EIO, "cannot write '%s': %s", f->tmp_path, strerror(errno));
        cpose_free(f->path);
        cpose_free(f->tmp_path);
        memset(f, 0, sizeof *f);
        return rc;
    }
    return CPOSE_OK;
}

int cpose_atomic_commit(struct cpose_atomic_file *f)
{
    int rc = CPOSE_OK;
    if (fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0 || ferror(f->fp))
        rc = cpose_err(CPOSE_EIO, "write failed on '%s': %s", f->tmp_path, strerror(errno));
    if (fclose(f->fp) != 0 && rc == CPOSE_OK)
        rc = cpose_err(CPOSE_EIO, "close failed on '%s': %s", f->tmp_path, strerror(errno));
    if (rc == CPOSE_OK && rename(f->tmp_path, f->path) != 0)
        rc = cpose_err(CPOSE_EIO, "cannot rename '%s' to '%s': %s", f->tmp_path, f->path, strerror(errno));
    if (rc != CPOSE_OK) unlink(f->tmp_path);
    cpose_free(f->path);
    cpose_free(f->tmp_path);
    memset(f, 0, sizeof *f);
    return rc;
}

void cpose_atomic_abort(struct cpose_atomic_file *f)
{
    if (!f->fp) return;
    fclose(f->fp);
    unlink(f->tmp_path);
    cpose_free(f->path);
    cpose_free(f->tmp_path);
    memset(f, 0, sizeof *f);
}

int cpose_write_file_atomic(const char *path, const void *data, size_t len)
{
    struct cpose_atomic_file f;
    int rc = cpose_atomic_open(&f, path);
    if (rc) return rc;
    if (len && fwrite(data, 1, len, f.fp) != len) {
        rc = cpose_err(CPOSE_EIO, "write failed on '%s'", path);
        cpose_atomic_abort(&f);
        return rc;
    }
    return cpose_atomic_commit(&f);
}

static void hex_digest(const unsigned char *md, char hex[65])
{
    for (int i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", md[i]);
    hex[64] = 0;
}

void cpose_sha256_buf(const void *data, size_t len, char hex[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    hex_digest(md, hex);
}

int cpose_sha256_file(const char *path, char hex[65])
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return cpose_err(CPOSE_EIO, "cannot open '%s': %s", path, strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) EVP_DigestUpdate(ctx, buf, n);
    int bad = ferror(fp);
    fclose(fp);
    unsigned char md[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    if (bad) return cpose_err(CPOSE_EIO, "read error on '%s'", path);
    hex_digest(md, hex);
    return CPOSE_OK;
}

static char *try_dir(const char *dir, const char *sub, const char *name)
{
    if (!dir || !*dir) return NULL;
    char *d = sub ? cpose_path_join(dir, sub) : cpose_strdup(dir);
    char *p = cpose_path_join(d, name);
    cpose_free(d);
    if (cpose_path_is_file(p)) return p;
    cpose_free(p);
    return NULL;
}

char *cpose_find_bundled(const char *name)
{
    if (cpose_path_is_file(name)) return cpose_strdup(name);
    if (strchr(name, '/')) return NULL;
    static const char *subs[] = {NULL, "models", "datasets"};
    const char *roots[3] = {getenv("CPOSE_CFG_DIR"), CPOSE_SOURCE_DIR "/core/cfg", CPOSE_DATA_DIR "/cfg"};
    for (int r = 0; r < 3; r++)
        for (int s = 0; s < 3; s++) {
            char *p = try_dir(roots[r], subs[s], name);
            if (p) return p;
        }
    return NULL;
}

char *cpose_increment_run_dir(const char *project, const char *name, int exist_ok)
{
    char *base = cpose_path_join(project, name);
    char *path = cpose_strdup(base);
    if (!exist_ok)
        for (int i = 2; cpose_path_is_dir(path) || cpose_path_is_file(path); i++) {
            cpose_free(path);
            path = cpose_asprintf("%s%d", base, i);
        }
    cpose_free(base);
    if (cpose_mkdirs(path) != CPOSE_OK) {
        cpose_free(path);
        return NULL;
    }
    return path;
}

double cpose_path_tree_bytes(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) return (double)st.st_size;
    double sum = 0;
    DIR *d = opendir(path);
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *sub = cpose_asprintf("%s/%s", path, e->d_name);
        double b = cpose_path_tree_bytes(sub);
        cpose_free(sub);
        if (b > 0) sum += b;
    }
    closedir(d);
    return sum;
}
