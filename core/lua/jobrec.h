/* core/lua/jobrec.h — the job record: what a `cpose run` job read, wrote, took and returned, saved as
 * run.json in the job's output folder when the job ends (successfully or not).
 *
 * There is at most one active record per process (the job being run). Library code reports to it
 * through cpose_jobrec_input/output/output_dir/metric/call_*; when no job is active (plain CLI
 * modes, tests) these calls do nothing, so any core function may call them unconditionally. The
 * calls are thread-safe (loader threads may report inputs).
 *
 * Output folder rule (where run.json goes), first match wins:
 *   1. save_dir=DIR given to `cpose run`          → DIR (used as is, created if needed);
 *   2. the first output folder the job creates    → that folder (bindings report it with
 *      cpose_jobrec_output_dir, e.g. runs/pose/predict2; scripts with cpose.job.output_dir);
 *   3. otherwise                                  → runs/jobs/<script stem>, numbered like
 *      Ultralytics' run folders (runs/jobs/quickstart2, ...), created when the job ends or when
 *      the script asks for it (cpose.job.dir()).
 *
 * run.json layout (JSON object): cpose_version, script {path, sha256}, argv [words], args {k: v},
 * threads, seed, status ("ok" | "failed"), error (message + traceback, failed jobs only),
 * started / ended (UTC ISO-8601), seconds, peak_rss_bytes (the process's), calls [{name, start, seconds, status}] (start in
 * seconds since the job started), inputs [{path, sha256}], outputs [{path, sha256}] (sha256 null
 * when the file no longer exists), metrics {name: number}, result (what the script returned). */
#ifndef CPOSE_JOBREC_H
#define CPOSE_JOBREC_H

#include <cjson/cJSON.h>
#include "core/base/status.h"

/* Starts the process's job record for `script` (its sha256 is taken now), with the job's words
 * (argv, borrowed for the call) and the runner settings. save_dir may be NULL/"" (rule 2/3).
 * Fails (CPOSE_EIO) when the script cannot be read; CPOSE_EINVAL when a record is active. */
CPOSE_API int cpose_jobrec_begin(const char *script, int argc, char **argv, const char *save_dir, int threads,
                                 long long seed);
/* Is a job record active? */
CPOSE_API int cpose_jobrec_active(void);

/* Records that the job read `path` (sha256 taken now; a path already listed is not hashed again).
 * Unreadable files are listed with sha256 null. No-op without an active record. */
CPOSE_API void cpose_jobrec_input(const char *path);
/* Records that the job wrote `path` (hashed when the record is written). No-op without a record. */
CPOSE_API void cpose_jobrec_output(const char *path);
/* Reports an output folder the job created; the first one becomes the job folder (rule 2) unless
 * save_dir= was given. No-op without a record. */
CPOSE_API void cpose_jobrec_output_dir(const char *dir);
/* Sets metric name = value (a later call with the same name replaces it). */
CPOSE_API void cpose_jobrec_metric(const char *name, double value);
/* Times one library call: begin returns a token for end (-1 without a record). */
CPOSE_API int cpose_jobrec_call_begin(const char *name);
CPOSE_API void cpose_jobrec_call_end(int token, int status);
/* Stores `take_result` (ownership passes to the record; NULL allowed) as "result". */
CPOSE_API void cpose_jobrec_set_result(cJSON *take_result);

/* The job folder by the rule above, creating it (rule 3 picks and creates runs/jobs/<stem>N on
 * first use). Returns a borrowed string valid until cpose_jobrec_end, or NULL with a message. */
CPOSE_API const char *cpose_jobrec_dir(void);

/* Ends the job: status "ok" when error is NULL, else "failed" with the message. Writes run.json
 * atomically into the job folder and releases the record. The path written is copied into
 * out_path (if non-NULL, size n). Returns CPOSE_OK or the write error (the record is released
 * either way). */
CPOSE_API int cpose_jobrec_end(const char *error, char *out_path, size_t n);

#endif
