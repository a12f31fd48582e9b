/* tests/tools/h5_compare.c — a test helper (not a test): compares every float32 dataset of two HDF5
 * files (weights, checkpoints) by path and prints the worst one. For each dataset present in both, the
 * relative difference is max|a − b| / max|b| (the max norm of the difference over that of the reference
 * b; 0 when both are all zeros). Exit 0 when every dataset of b is in a with the same size and every
 * relative difference is ≤ rtol; 1 otherwise; 2 on a usage or read error.
 * Usage: h5_compare A.h5 B.h5 RTOL [SKIP...]   (SKIP: datasets whose path contains it are not compared,
 * e.g. running_ for BN running statistics) */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct walk {
    hid_t a;              /* the file compared against the reference */
    char **skip;
    int n_skip;
    double rtol, worst;
    char worst_name[512];
    int n, missing, failed;
};

/* n floats of dataset `name` of file f into a malloc'd array (NULL when absent or not float32). */
static float *read_floats(hid_t f, const char *name, hssize_t *n)
{
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) return NULL;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return NULL;
    hid_t t = H5Dget_type(d), s = H5Dget_space(d);
    float *v = NULL;
    *n = H5Sget_simple_extent_npoints(s);
    if (H5Tget_class(t) == H5T_FLOAT && H5Tget_size(t) == 4 && *n > 0) {
        v = malloc((size_t)*n * sizeof *v);
        if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) free(v), v = NULL;
    }
    H5Sclose(s), H5Tclose(t), H5Dclose(d);
    return v;
}

static herr_t visit(hid_t b, const char *name, const H5O_info_t *info, void *user)
{
    struct walk *w = user;
    if (info->type != H5O_TYPE_DATASET) return 0;
    for (int i = 0; i < w->n_skip; i++)
        if (strstr(name, w->skip[i])) return 0;
    hssize_t nb = 0, na = 0;
    float *vb = read_floats(b, name, &nb);
    if (!vb) return 0; /* not float32 data: counters, names */
    float *va = read_floats(w->a, name, &na);
    if (!va || na != nb) {
        printf("missing or different size in the first file: %s\n", name);
        w->missing++;
    } else {
        double dmax = 0, bmax = 0;
        for (hssize_t i = 0; i < nb; i++) {
            double d = fabs((double)va[i] - (double)vb[i]);
            if (!(d <= dmax)) dmax = d; /* NaN counts as the worst */
            if (fabs((double)vb[i]) > bmax) bmax = fabs((double)vb[i]);
        }
        double rel = dmax == 0 ? 0 : bmax > 0 ? dmax / bmax : INFINITY;
        if (isnan(dmax)) rel = INFINITY;
        if (!(rel <= w->rtol)) w->failed++;
        if (!(rel <= w->worst) || w->n == 0) {
            w->worst = rel;
            snprintf(w->worst_name, sizeof w->worst_name, "%s", name);
        }
        w->n++;
    }
    free(va), free(vb);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: h5_compare A.h5 B.h5 RTOL [SKIP...]\n");
        return 2;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t a = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT), b = H5Fopen(argv[2], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (a < 0 || b < 0) {
        fprintf(stderr, "h5_compare: cannot open %s\n", a < 0 ? argv[1] : argv[2]);
        return 2;
    }
    struct walk w = {.a = a, .skip = argv + 4, .n_skip = argc - 4, .rtol = atof(argv[3])};
    H5Ovisit2(b, H5_INDEX_NAME, H5_ITER_NATIVE, visit, &w, H5O_INFO_BASIC);
    printf("%d float datasets compared, %d over rtol %g, %d missing; worst %s: relative difference %.3g\n", w.n,
           w.failed, w.rtol, w.missing, w.n ? w.worst_name : "-", w.n ? w.worst : 0.0);
    H5Fclose(a), H5Fclose(b);
    return w.n > 0 && !w.failed && !w.missing ? 0 : 1;
}
