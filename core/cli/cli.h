/* core/cli/cli.h — the `cpose` command line: mode dispatch (core/cli/cli_modes.def) and helpers that
 * every mode uses to parse key=value arguments and report errors the same way. */
#ifndef CPOSE_CLI_H
#define CPOSE_CLI_H

#include "core/base/args.h"
#include "core/base/status.h"

/* Each mode: int fn(int argc, char **argv) → exit code; argv holds the words after the mode. */
#define CPOSE_MODE(name, fn, help) int fn(int argc, char **argv);
#include "core/cli/cli_modes.def"
#undef CPOSE_MODE

/* Runs the command line (argv[0] is the program). Returns the process exit code. */
CPOSE_API int cpose_cli_main(int argc, char **argv);

/* Parses key=value words into a (initialised here); on error prints it and returns nonzero. */
CPOSE_API int cpose_cli_parse(const char *mode, int argc, char **argv, struct cpose_args *a);
/* Prints "cpose MODE: <message>" for the last recorded error and returns exit code 1. */
CPOSE_API int cpose_cli_fail(const char *mode);
/* Sets the OpenMP/engine thread count from threads= (None keeps the default). */
CPOSE_API void cpose_cli_apply_threads(const struct cpose_args *a);
/* Loads model= (a model YAML, initialised from seed=, or weights; cfg= names the YAML for weights
 * that carry none). "model= is required ..." when model= is missing. */
struct cpose_model;
CPOSE_API int cpose_cli_load_model(const struct cpose_args *a, struct cpose_model **m);

/* half= and int8= of predict, val and benchmark (core/cli/cli_prec.c): half=True → bf16 convolutions
 * when the CPU has AVX512_BF16 or AMX, else a warning and float32; int8=True → calibration on the
 * val images of data= (else the model's train_args data; neither: CPOSE_EINVAL "int8=True needs
 * data=...") letterboxed to imgsz (≤ 0: imgsz= or the model's training size, as val/predict pick it),
 * then int8 convolutions. Both: int8. Neither: nothing changes. */
CPOSE_API int cpose_cli_apply_precision(const struct cpose_args *a, struct cpose_model *m, int imgsz);

/* `cpose benchmark backward=True`: times full training steps of m (core/cli/bench_train.c). */
struct cpose_model;
CPOSE_API int cpose_cli_benchmark_train(const struct cpose_args *a, struct cpose_model *m);
/* `cpose benchmark data= [format=]`: Ultralytics' benchmark table over the built export formats
 * (core/cli/bench_formats.c); format= alone without data= is refused. */
CPOSE_API int cpose_cli_benchmark_formats(const struct cpose_args *a, struct cpose_model *m);

#endif
