#!/usr/bin/env bash
# Installs gat-dist's Debian 12 packages (once) and builds it in Release under build/.
# Idempotent; runs as root or through sudo. BUILD_DIR and CMAKE_ARGS may be set to change the build.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=launch/install_missing.sh
source launch/install_missing.sh

packages=(
  cmake ninja-build g++ pkg-config
  libtorch-dev
  libopenblas0-openmp  # without it LibTorch runs on reference BLAS, about 20x slower
  libdnnl-dev  # oneDNN's sgemm for the large CPU products: on AVX-512 CPUs twice OpenBLAS's rate
  libopenmpi-dev openmpi-bin libyaml-cpp-dev libhdf5-dev
  libgtest-dev libgmock-dev libcli11-dev libspdlog-dev nlohmann-json3-dev
  python3-numpy python3-scipy python3-h5py python3-matplotlib
  python3-torch  # bench/floors.py, the PyTorch eager reference in ../shared/bench, examples/ (with python3-yaml)
  metis libmetis-dev  # gpmetis for `gat_data.py partition --method metis` (version-2 files); the library for C++ use
)
install_missing "${packages[@]}"

blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas" in
  *openblas*) ;;
  *) echo "setup: warning: libblas.so.3 is $blas, not OpenBLAS; LibTorch will be slow" >&2 ;;
esac

build=${BUILD_DIR:-build}
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of words
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build"
echo "setup: built $(ls "$build"/gat_* 2>/dev/null | tr '\n' ' ')"
