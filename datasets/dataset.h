/* datasets/dataset.h — dataset YAMLs as Ultralytics writes them (path, train/val/test, nc/names,
 * kpt_shape, flip_idx, download), resolved with Ultralytics' check_det_dataset rules, plus the
 * image listing (folder, .txt list, or a list of these) and the images→labels path mapping. */
#ifndef CPOSE_DATASET_H
#define CPOSE_DATASET_H

#include <stddef.h>
#include "core/base/status.h"

enum cpose_split { CPOSE_SPLIT_TRAIN = 0, CPOSE_SPLIT_VAL = 1, CPOSE_SPLIT_TEST = 2, CPOSE_SPLIT_COUNT = 3 };

struct cpose_dataset {
    char *yaml_path;                 /* the YAML that was read (absolute) */
    char *path;                      /* dataset root (absolute) */
    char **splits[CPOSE_SPLIT_COUNT];   /* absolute folders / .txt files per split */
    int n_splits[CPOSE_SPLIT_COUNT];
    int nc;                          /* number of classes */
    char **names;                    /* nc names (ids missing from a {id: name} map: "class_<id>") */
    int kpt_shape[2];                /* [K, 2|3]; {0, 0} when the YAML has none */
    int *flip_idx;                   /* K entries or NULL */
    int n_flip_idx;
    char **download;                 /* URLs (zips are extracted), n_download entries */
    char **download_dir;             /* where each one is extracted (absolute) */
    int n_download;
};

/* The folder relative dataset paths resolve against (Ultralytics' DATASETS_DIR): $CPOSE_DATASETS_DIR,
 * else ./datasets (absolute). Caller frees. */
CPOSE_API char *cpose_datasets_dir(void);

/* Reads a dataset YAML (a path, or a bundled name such as "coco8-pose.yaml" found through
 * cpose_find_bundled). Rules (Ultralytics 8.1 check_det_dataset):
 *  - 'train' and 'val' are required ('validation' is accepted as 'val'); 'names' or 'nc' required,
 *    and equal in length when both given; names as a list or an {id: name} map;
 *  - root = 'path' if given, else the YAML's folder; a relative root is taken under DATASETS_DIR;
 *  - each split (a string or a list) is root/entry resolved; a missing "../x" falls back to root/x;
 *  - kpt_shape = [K, 2|3]; flip_idx must have K entries forming a permutation of 0..K-1;
 *  - unknown top-level keys are refused (cpose is stricter than Ultralytics here).
 * Errors name the file, the line and the key. Existence of the folders is not checked here. */
CPOSE_API int cpose_dataset_load(const char *yaml, struct cpose_dataset *out);
CPOSE_API void cpose_dataset_free(struct cpose_dataset *d); /* NULL-safe */

/* Parses a split name ("train", "val", "test"); -1 when unknown. */
CPOSE_API int cpose_split_from_name(const char *name);

/* Lists the image files of a split as Ultralytics' get_img_files does: a folder is searched
 * recursively, a .txt file lists one image per line ("./x" relative to the .txt's folder);
 * only image extensions kept (bmp dng jpeg jpg mpo png tif tiff webp pfm, any case); sorted.
 * A missing entry is CPOSE_EIO naming it ("does not exist"); no images is CPOSE_EINVAL.
 * *files is an array of n strings; free with cpose_strv_free. */
CPOSE_API int cpose_dataset_images(const struct cpose_dataset *d, enum cpose_split split, char ***files, size_t *n);
/* Same for one folder / .txt path (used by predict sources and tests). */
CPOSE_API int cpose_list_images(const char *const *entries, int n_entries, char ***files, size_t *n);
CPOSE_API void cpose_strv_free(char **v, size_t n);

/* Label path of an image: the last "/images/" replaced by "/labels/", the extension by ".txt".
 * Caller frees. */
CPOSE_API char *cpose_img2label_path(const char *img);

/* Is this an image extension Ultralytics accepts (".jpg", case-insensitive)? */
CPOSE_API int cpose_is_image_ext(const char *path);

/* Normalises a path lexically ("a/./b/../c" → "a/c"), made absolute against the cwd. Caller frees. */
CPOSE_API char *cpose_path_normalize(const char *path);

#endif
