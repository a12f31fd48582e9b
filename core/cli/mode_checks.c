/* core/cli/mode_checks.c — `cpose checks` (Ultralytics' `yolo checks`): the version and build options,
 * the versions of the libraries cpose runs on (OpenCV's as the image module, loaded here, reports it, with the
 * module's path), the CPU with its flags and the kernels chosen for it, threads, memory, and the settings' folders. */
#include <archive.h>
#include <curl/curl.h>
#include <H5public.h>
#include <lua.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "core/base/cpu_fma.h"
#include "core/base/settings.h"
#include "core/cli/cli.h"
#include "core/nn/image.h"
#include "core/nn/kernels.h"
#include "core/nn/kernels_wino_int8.h"

/* The first "key : value" line of a /proc file whose key starts with key (value copied into out). */
static int proc_field(const char *file, const char *key, char *out, size_t n)
{
    FILE *f = fopen(file, "r");
    if (!f) return 0;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, strlen(key)) != 0) continue;
        char *colon = strchr(line, ':');
        if (!colon) continue;
        colon++;
        while (*colon == ' ' || *colon == '\t') colon++;
        snprintf(out, n, "%s", colon);
        out[strcspn(out, "\n")] = 0;
        found = 1;
    }
    fclose(f);
    return found;
}

/* The flags cpose's kernels care about, as the kernel reports them, from /proc/cpuinfo. */
static void print_cpu_flags(void)
{
    static const char *const wanted[] = {"sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl",
                                         "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", NULL};
    char flags[8192] = "";
    proc_field("/proc/cpuinfo", "flags", flags, sizeof flags);
    printf("CPU flags:     ");
    int any = 0;
    for (int i = 0; wanted[i]; i++) {
        char pat[64];
        snprintf(pat, sizeof pat, " %s ", wanted[i]);
        char padded[8200];
        snprintf(padded, sizeof padded, " %s ", flags);
        if (strstr(padded, pat)) printf("%s%s", any++ ? " " : "", wanted[i]);
    }
    printf("%s\n", any ? "" : "(none of sse4_2 avx avx2 fma avx512*: /proc/cpuinfo unreadable?)");
}

int cpose_mode_checks(int argc, char **argv)
{
    if (argc > 0) {
        fprintf(stderr, "cpose checks: takes no arguments (got '%s')\n", argv[0]);
        return 2;
    }
    printf("cpose:         %s (C11; build: %s%s)\n", CPOSE_VERSION,
#ifdef NDEBUG
           "release",
#else
           "debug/assertions on",
#endif
#if defined(__SANITIZE_ADDRESS__)
           ", AddressSanitizer"
#else
           ""
#endif
    );
    const dnnl_version_t *dv = dnnl_version();
    printf("oneDNN:        %d.%d.%d (%s)\n", dv->major, dv->minor, dv->patch, dv->hash ? dv->hash : "");
    unsigned hmaj = 0, hmin = 0, hrel = 0;
    H5get_libversion(&hmaj, &hmin, &hrel);
    printf("HDF5:          %u.%u.%u\n", hmaj, hmin, hrel);
    const char *cv_version = NULL, *cv_module = NULL;
    if (cpose_image_backend(&cv_version, &cv_module) == CPOSE_OK)
        printf("OpenCV:        %s (imgcodecs, imgproc; loaded on first use from %s)\n", cv_version, cv_module);
    else
        printf("OpenCV:        missing: %s\n", cpose_errmsg());
    printf("Lua:           %s\n", LUA_RELEASE);
    printf("libcurl:       %s\n", curl_version_info(CURLVERSION_NOW)->version);
    printf("libarchive:    %s\n", archive_version_string());

    char cpu[512] = "unknown";
    proc_field("/proc/cpuinfo", "model name", cpu, sizeof cpu);
    printf("CPU:           %s\n", cpu);
    print_cpu_flags();
    int layout = cpose_kernel_activation_layout(), infer = cpose_kernel_inference_layout();
    double ratio = cpose_avx512_fma_ratio();
    int wino = cpose_wino_enabled() && infer == CPOSE_LAYOUT_BLK8;
    printf("kernels:       oneDNN ISA %s; activations %s (float32 inference %s); 3x3 stride-1 convs in float32 "
           "inference: %s\n",
           dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()), cpose_layout_name(layout), cpose_layout_name(infer),
           wino ? "Winograd F(2x2,3x3) (CPOSE_WINOGRAD=0: oneDNN direct)" : "oneDNN direct");
    if (ratio > 0)
        printf("FMA width:     16-lane FMAs give %.2fx the FLOP/s of 8-lane ones here (%s)\n", ratio,
               cpose_avx512_fma_is_wide() ? "wide: float32 inference stays on nChw16c"
                                          : "narrow: float32 inference runs nChw8c and Winograd");
    printf("low precision: half=True → %s; int8=True → int8 convs (%s)\n",
           !cpose_cpu_has_bf16()          ? "float32 (no bf16 dot products on this CPU)"
           : cpose_bf16_own_available() ? "bf16 convs (AVX512_BF16: 3×3 stride-1 on cpose's Winograd, 1×1 on its GEMM)"
                                        : "bf16 convs (AMX, oneDNN's kernels)",
           cpose_int8_kernels_desc());
    printf("threads:       %d (OpenMP; %ld CPUs online; threads= or OMP_NUM_THREADS change it)\n", omp_get_max_threads(),
           sysconf(_SC_NPROCESSORS_ONLN));
    char total[64] = "0", avail[64] = "0";
    proc_field("/proc/meminfo", "MemTotal", total, sizeof total); /* "24683748 kB" */
    proc_field("/proc/meminfo", "MemAvailable", avail, sizeof avail);
    printf("memory:        %.1f GiB total, %.1f GiB available\n", atof(total) / (1 << 20), atof(avail) / (1 << 20));

    char *path = cpose_settings_path();
    struct cpose_settings s;
    int rc = cpose_settings_load(&s);
    printf("settings:      %s%s\n", path ? path : "(no HOME)", rc != CPOSE_OK ? " (unreadable: defaults shown)" : "");
    for (int i = 0; i < CPOSE_SETTINGS_COUNT; i++) printf("  %-13s %s\n", cpose_settings_keys[i], s.value[i]);
    cpose_settings_free(&s);
    cpose_free(path);
    return 0;
}
