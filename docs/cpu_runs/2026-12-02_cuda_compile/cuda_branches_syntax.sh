#!/usr/bin/env bash
# Syntax-only pass over the C++ behind GAT_WITH_CUDA / GAT_WITH_NCCL, on a CPU machine: Debian's
# LibTorch 1.13 headers (they ship ATen/cuda and c10/cuda), CUDA 13.0's headers (nccl.h among them),
# and a stand-in for c10/cuda/impl/cuda_cmake_macros.h, which only a CUDA LibTorch's build generates.
# Run from the repository root; one log per file in $LOGS.
set -u
LOGS=${LOGS:-/tmp/cuda_branches_syntax}
mkdir -p "$LOGS/stub/c10/cuda/impl"
echo '#define C10_CUDA_BUILD_SHARED_LIBS' > "$LOGS/stub/c10/cuda/impl/cuda_cmake_macros.h"
files=$(grep -rl "GAT_WITH_CUDA\|GAT_WITH_NCCL\|is_cuda\|kCUDA" src tests --include=*.cpp)
for f in $files; do
  c++ -DFMT_SHARED -DGAT_WITH_CUDA=1 -DGAT_WITH_NCCL=1 -DGAT_WITH_DNNL=1 -DGAT_WITH_DNNL_BF16=1 -DGAT_MM_OUT_DTYPE=0 \
    -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL -DSPDLOG_SHARED_LIB -DGAT_TEST_DATA='"unused"' \
    -Isrc -Itests -isystem "$LOGS/stub" -isystem /usr/include/torch/csrc/api/include \
    -isystem /usr/local/cuda/include -I/usr/include/hdf5/serial $(mpicxx --showme:compile) \
    -Wall -Wextra -fopenmp -std=c++17 -fsyntax-only "$f" > "$LOGS/$(echo "$f" | tr / _).log" 2>&1
  echo "$f rc=$?"
done
