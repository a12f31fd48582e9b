/* core/base/settings.c — the user settings file (settings.yaml in the cpose config folder): defaults,
 * a line reader for `key: value` YAML, atomic writes. */
#include "core/base/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"

const char *const cpose_settings_keys[CPOSE_SETTINGS_COUNT] = {"datasets_dir", "weights_dir", "runs_dir"};
const char *const cpose_settings_defaults[CPOSE_SETTINGS_COUNT] = {"datasets", "weights", "runs"};

char *cpose_settings_path(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) return cpose_asprintf("%s/cpose/settings.yaml", xdg);
    if (home && *home) return cpose_asprintf("%s/.config/cpose/settings.yaml", home);
    return NULL;
}

void cpose_settings_free(struct cpose_settings *s)
{
    if (!s) return;
    for (int i = 0; i < CPOSE_SETTINGS_COUNT; i++) cpose_free(s->value[i]);
    memset(s, 0, sizeof *s);
}

void cpose_settings_reset(struct cpose_settings *s)
{
    cpose_settings_free(s);
    for (int i = 0; i < CPOSE_SETTINGS_COUNT; i++) s->value[i] = cpose_strdup(cpose_settings_defaults[i]);
}

static int key_index(const char *key)
{
    for (int i = 0; i < CPOSE_SETTINGS_COUNT; i++)
        if (strcmp(cpose_settings_keys[i], key) == 0) return i;
    return -1;
}

/* The key sharing the longest prefix with key (for "did you mean"). */
static const char *nearest_key(const char *key)
{
    int best = 0;
    size_t best_len = 0;
    for (int i = 0; i < CPOSE_SETTINGS_COUNT; i++) {
        size_t n = 0;
        while (key[n] && key[n] == cpose_settings_keys[i][n]) n++;
        if (n > best_len) best_len = n, best = i;
    }
    return cpose_settings_keys[best];
}

int cpose_settings_set(struct cpose_settings *s, const char *key, const char *value)
{
    int i = key_index(key);
    if (i < 0)
        return cpose_err(CPOSE_EINVAL, "'%s' is not a setting; did you mean '%s'? (settings: datasets_dir, weights_dir, "
                         "runs_dir)", key, nearest_key(key));
    if (!value || !*value) return cpose_err(CPOSE_EINVAL, "%s= needs a folder", key);
    cpose_free(s->value[i]);
    s->value[i] = cpose_strdup(value);
    return CPOSE_OK;
}

static char *trim(char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n')) p[--n] = 0;
    return p;
}

int cpose_settings_load(struct cpose_settings *s)
{
    memset(s, 0, sizeof *s);
    cpose_settings_reset(s);
    char *path = cpose_settings_path();
    if (!path || !cpose_path_is_file(path)) {
        cpose_free(path);
        return CPOSE_OK;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = cpose_read_file(path, &text, &len);
    if (rc != CPOSE_OK) {
        cpose_free(path);
        return rc;
    }
    int line_no = 0;
    for (char *line = text, *next; line && *line && rc == CPOSE_OK; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        line_no++;
        char *p = trim(line);
        if (!*p || *p == '#') continue;
        char *colon = strchr(p, ':');
        if (!colon) {
            rc = cpose_err(CPOSE_EINVAL, "%s line %d: '%s' is not 'key: value' (fix the line, or run `cpose settings "
                           "reset`)", path, line_no, p);
            break;
        }
        *colon = 0;
        char *key = trim(p), *value = trim(colon + 1);
        size_t vl = strlen(value);
        if (vl >= 2 && (value[0] == '\'' || value[0] == '"') && value[vl - 1] == value[0]) {
            value[vl - 1] = 0;
            value++;
        }
        if (key_index(key) < 0) cpose_warn("%s line %d: unknown setting '%s' ignored", path, line_no, key);
        else if (*value) rc = cpose_settings_set(s, key, value);
    }
    if (rc != CPOSE_OK) cpose_settings_reset(s);
    cpose_free(text);
    cpose_free(path);
    return rc;
}

/* A YAML scalar: plain when it is safe, else single-quoted. */
static void put_scalar(FILE *f, const char *v)
{
    int plain = *v && !strchr(":#'\"{}[],&*!|>%@`", v[0]) && v[0] != ' ' && v[strlen(v) - 1] != ' ' &&
                !strstr(v, ": ") && !strstr(v, " #");
    if (plain) {
        fputs(v, f);
        return;
    }
    fputc('\'', f);
    for (const char *c = v; *c; c++) {
        if (*c == '\'') fputc('\'', f);
        fputc(*c, f);
    }
    fputc('\'', f);
}

int cpose_settings_save(const struct cpose_settings *s)
{
    char *path = cpose_settings_path();
    if (!path) return cpose_err(CPOSE_EIO, "cannot place the settings file: neither XDG_CONFIG_HOME nor HOME is set");
    char *dir = cpose_path_dirname(path);
    int rc = cpose_mkdirs(dir);
    struct cpose_atomic_file f;
    if (rc == CPOSE_OK) rc = cpose_atomic_open(&f, path);
    if (rc == CPOSE_OK) {
        fprintf(f.fp, "# cpose settings (`cpose settings key=value` changes them, `cpose settings reset` restores them)\n");
        for (int i = 0; i < CPOSE_SETTINGS_COUNT; i++) {
            fprintf(f.fp, "%s: ", cpose_settings_keys[i]);
            put_scalar(f.fp, s->value[i] ? s->value[i] : cpose_settings_defaults[i]);
            fputc('\n', f.fp);
        }
        rc = cpose_atomic_commit(&f);
    }
    cpose_free(dir);
    cpose_free(path);
    return rc;
}

char *cpose_settings_get(int which)
{
    struct cpose_settings s;
    if (cpose_settings_load(&s) != CPOSE_OK) cpose_warn("settings: %s; using the defaults", cpose_errmsg());
    char *v = cpose_strdup(s.value[which] ? s.value[which] : cpose_settings_defaults[which]);
    cpose_settings_free(&s);
    return v;
}
