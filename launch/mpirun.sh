#!/usr/bin/env bash
# Runs gat_train on N local ranks: launch/mpirun.sh N --config FILE [gat_train arguments...]
# Handles running as root and more ranks than cores; threads per rank default to cores / N
# (train.threads overrides). For several nodes add a hostfile: MPIRUN_ARGS="--hostfile hosts".
set -euo pipefail
cd "$(dirname "$0")/.."
ranks=${1:?usage: launch/mpirun.sh RANKS --config FILE [gat_train arguments]}
shift
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# shellcheck disable=SC2086  # MPIRUN_ARGS is a list of words
exec mpirun --oversubscribe --bind-to none -np "$ranks" ${MPIRUN_ARGS:-} "${BUILD_DIR:-build}/gat_train" "$@"
