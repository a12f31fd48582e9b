# tests/helpers/mpi_common.sh — sourced by the tests/cli/mpi_*.sh tests: skips (exit 77) where mpirun
# is missing or cpose was built without MPI; Open MPI's environment for 127.0.0.1 only and for root
# (CI containers); MPIRUN (2 ranks, oversubscribed, unbound); check NAME CONDITION (records a FAIL in
# $fail); rank_pid MODE RANK (the pid of rank RANK's `cpose MODE` whose command line names this test's
# folder $T, so tests running in parallel do not see each other's ranks).
command -v mpirun >/dev/null || { echo "skip: mpirun not found (Debian: openmpi-bin)"; exit 77; }
[[ "$(ldd "$CPOSE_BIN")" == *libmpi* ]] || { echo "skip: cpose built without MPI (CPOSE_MPI=OFF or libopenmpi-dev missing)"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
MPIRUN=(mpirun --oversubscribe -np 2 --bind-to none)
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
rank_pid() {
  local p
  for p in $(pgrep -f "$CPOSE_BIN $1 .*$T/"); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$p"; return; }
  done
}
