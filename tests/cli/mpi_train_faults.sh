#!/usr/bin/env bash
# tests/cli/mpi_train_faults.sh — failures of data-parallel training under Open MPI (`mpirun -np 2
# --oversubscribe cpose train`, one thread per rank, 127.0.0.1 only; cpose's synthetic people, 32 train
# images at 64 px, yolov8n-pose.yaml from scratch):
# 1. a rank that stops answering (SIGSTOP: rank 0 gives up after CPOSE_DIST_TIMEOUT=5 s with a message)
#    or dies (SIGKILL: mpirun reports it) during training ends the whole job, not by the 300 s guard;
# 2. a rank whose dataset differs from rank 0's (file-list hash; here a copy missing one image, read by
#    rank 1) stops the job before training, with a message naming the rank and host, on both ranks.
# Equivalence and resume are tests/cli/mpi_train.sh's. Skips where cpose was built without MPI or
# mpirun is missing.
set -u
. "$CPOSE_SOURCE_DIR/tests/helpers/mpi_common.sh"
T=$(mktemp -d /tmp/cpose-test-mpi-faults-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
"$CPOSE_BIN" synth save_dir="$T/syn" n_train=32 n_val=4 imgsz=64 seed=2 >/dev/null 2>&1 || { echo "FAIL: synth"; exit 1; }
ARGS=(model=yolov8n-pose.yaml data="$T/syn/synth-pose.yaml" imgsz=64 batch=16 seed=0 workers=0 threads=1 val=False
      plots=False project="$T/runs")

# ---- 1. a rank that stops answering or dies ----
for sig in STOP KILL; do
  lose_rank train $sig "$T/$sig.out" "Starting training" "${ARGS[@]}" epochs=200 name="sig$sig"
done
# ---- 2. a node whose copy of the dataset differs (here: rank 1 reads a copy without one image) ----
cp -r "$T/syn" "$T/syn2"
sed -i "s#$T/syn#$T/syn2#g" "$T/syn2/synth-pose.yaml"
rm "$(ls "$T"/syn2/images/train/* | head -1)"
timeout 300 mpirun --oversubscribe --bind-to none -np 1 "$CPOSE_BIN" train "${ARGS[@]}" name=differ \
  : -np 1 "$CPOSE_BIN" train "${ARGS[@]/#data=*/data=$T/syn2/synth-pose.yaml}" name=differ >"$T/differ.out" 2>&1
rc=$?
check "a rank with another dataset: the job fails (rc $rc)" '[ $rc != 0 ] && [ $rc != 124 ]'
check "the message names rank 1 and the hash" 'grep -q "rank 1 (host .*) sees another training set than rank 0 (file-list hash" "$T/differ.out"'
check "rank 0 says so too" 'grep -q "1 rank sees another training set than rank 0" "$T/differ.out"'
check "no run folder left" '[ ! -e "$T/runs/differ/weights/last.h5" ]'

[ $fail = 0 ] && echo "ok: a stopped or killed rank ends the job; a differing dataset copy is refused"
exit $fail
