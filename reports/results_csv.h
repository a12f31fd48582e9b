/* reports/results_csv.h — the training `results.csv` Ultralytics writes: one row per epoch, columns
 * named as Ultralytics names them, every field right-aligned in 23 characters. */
#ifndef CPOSE_RESULTS_CSV_H
#define CPOSE_RESULTS_CSV_H

#include "core/base/status.h"

/* Columns after "epoch", in Ultralytics' order for pose training: 5 train losses, 8 metrics (B then
 * P), 5 val losses, 3 learning rates. */
#define CPOSE_RESULTS_NCOLS 21
CPOSE_API extern const char *const cpose_results_csv_keys[CPOSE_RESULTS_NCOLS];

/* The header line ("%23s," per column, trailing comma removed) into buf. */
CPOSE_API void cpose_results_csv_header(char *buf, size_t n);
/* One row: epoch (1-based, as Ultralytics prints self.epoch + 1) then the values as "%23.5g". Losses
 * and metrics are rounded to 5 decimals first (Ultralytics rounds them before saving); learning
 * rates are written as given. */
CPOSE_API void cpose_results_csv_row(int epoch, const double vals[CPOSE_RESULTS_NCOLS], char *buf, size_t n);
/* Appends a row to path, writing the header first when the file does not exist. The file is
 * rewritten atomically (old content + new row, then rename), so a crash never leaves half a row. */
CPOSE_API int cpose_results_csv_append(const char *path, int epoch, const double vals[CPOSE_RESULTS_NCOLS]);

#endif
