#!/usr/bin/env bash
# The GPU checks of issue 5 in one go, for a lent GPU machine with the repository's CUDA build:
# build, every CTest suite (CPU and CUDA), gat_bench against PyTorch Geometric on the same batch,
# a trace of 5 steps, and a whole PPI-shaped training run. Logs and JSON lines go to $OUT (default: gpu_out/).
#   bash bench/gpu_session.sh [PPI_SYNTH_H5]
# QUICK=1 builds only the tools and the kernel, product, layer and GPU training tests, runs those
# tests, the comparison with PyG and the trace: about 3 minutes, for the end of a lease.
# TRAIN_PRECISIONS (default fp32) names the train.precision values of the whole training runs, one
# after another: "fp32 tf32 bf16" for issue 24's accuracy line.
# On the project's lent machines, source the device kit first (docs/gpu.md says how).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=$(realpath -m "${OUT:-gpu_out}")
mkdir -p "$out"
data=${1:-data/ppi_synth.h5}
build=${BUILD_DIR:-build-gpu}
quick=${QUICK:-0}
step() { echo "=== $* ($(date +%T))"; }

step configure
# GAT_USE_DNNL=OFF: the wheel's LibTorch carries its own oneDNN, which a Debian libdnnl must not meet
# in one process; the CPU products stay on LibTorch's mm here.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DGAT_USE_DNNL=OFF -DGAT_PYTHON="$(command -v python3)" >"$out/configure.log" 2>&1 ||
  { tail -30 "$out/configure.log"; exit 1; }
grep "gat-dist:" "$out/configure.log"
targets=()
[ "$quick" = 1 ] && targets=(--target gat_bench gat_train fused_attention_test train_test weight_product_test gat_conv_test)
if [ ! -f "$data" ]; then  # made while the build runs
  (python3 data_tools/gat_data.py ppi-synth --out-dir data/ppi_synth >/dev/null &&
    python3 data_tools/gat_data.py ppi --root data/ppi_synth --out "$data" >/dev/null) &
fi
step build
cmake --build "$build" "${targets[@]}" -j16 -- -k 0 >"$out/build.log" 2>&1 ||
  { grep -A12 "error" "$out/build.log" | head -120; exit 1; }
wait

ldd "$build/gat_bench" | grep -E "gomp|omp" | sed 's/^/OpenMP runtime: /'

# gat_bench on the GPU on the first 2 training graphs of $data; arguments go to gat_bench.
bench_ppi() { timeout 120 "$build/gat_bench" --config configs/ppi.yaml --data "$data" --set train.device=cuda "$@"; }

step bench: gat_bench vs PyG GATConv on the first 2 training graphs
bench_ppi | tee "$out/bench.jsonl"
timeout 120 python3 bench/pyg_gat.py --data "$data" | tee -a "$out/bench.jsonl"
# Each other train.precision beside PyG at the same precision (TF32 allowed; bf16 autocast), in turn.
for precision in tf32 bf16; do
  bench_ppi --set train.precision=$precision | tee -a "$out/bench.jsonl"
  timeout 120 python3 bench/pyg_gat.py --data "$data" --precision $precision | tee -a "$out/bench.jsonl"
done
# The forms bf16's products could take here, timed beside fp32 and tf32: gat-dist's (bfloat16 operands
# into float32) against bfloat16 results, to check that choice.
timeout 60 python3 bench/bf16_products.py | tee -a "$out/bench.jsonl"
# Each layer's products at its widths and padded to 8 elements (PPI's 859 columns and 50 features).
timeout 60 python3 bench/gemm_alignment.py | tee -a "$out/bench.jsonl"

step trace of 5 steps: where the step goes on the host and on the GPU
bench_ppi --steps 5 --trace "$out/trace.json" >/dev/null && python3 bench/trace_summary.py "$out/trace.json" --top 25 | tee "$out/trace_summary.txt"
# The same at bf16, whose products take a fraction of fp32's GPU time while the host's ops stay: its
# summary follows fp32's, and its trace stays behind (8 files come back at most).
bench_ppi --steps 5 --set train.precision=bf16 --trace "$out/trace_bf16.json" >/dev/null &&
  { echo "--- train.precision: bf16"; python3 bench/trace_summary.py "$out/trace_bf16.json" --top 25; } |
  tee -a "$out/trace_summary.txt"
# Once more with each op's input shapes (which slow the host, so apart): each kernel summed by the op
# that launched it and that op's shapes, which names the product behind each GEMM kernel.
bench_ppi --steps 5 --trace "$out/trace_shapes.json" --trace-shapes >/dev/null &&
  { echo "--- fp32, with input shapes (host times include recording them)"
    python3 bench/trace_summary.py "$out/trace_shapes.json" --top 40 --by-op | sed -n '/launched them/,$p'; } |
  tee -a "$out/trace_summary.txt"
rm -f "$out/trace_bf16.json" "$out/trace_shapes.json"

step ctest
tests=()
[ "$quick" = 1 ] && tests=(-R "make_test_data|fused_attention_test|FusedAgreement|FusedAttention|EdgePlan|Gpu|Tf32OnCuda|Bfloat16")
(cd "$build" && timeout 200 ctest "${tests[@]}" -j12 --output-on-failure >"$out/ctest.log" 2>&1)
grep -E "tests passed|tests failed|Skipped|\*\*\*Failed|Not Run|Timeout" "$out/ctest.log" | head -40
grep -c "Skipped" "$out/ctest.log" | sed 's/^/skipped tests: /'
if [ "$quick" != 1 ]; then
  # 1x to 8x the nodes per graph: a step whose time barely grows is bound by the host, not the GPU.
  timeout 120 "$build/gat_bench" --config configs/ppi.yaml --graphs 2 --degree 14 --scale --steps 20 \
    --set train.device=cuda | tee -a "$out/bench.jsonl"
  bench_ppi --set model.attention=sparse | tee -a "$out/bench.jsonl"

  step floors of the --graphs 2 --degree 14 step on this GPU
  for precision in fp32 tf32 bf16; do
    timeout 60 python3 bench/floors.py --device cuda --precision $precision | tee -a "$out/floors.json"
  done

  # Whole PPI-shaped runs to early stopping, one at each of TRAIN_PRECISIONS, each result line into
  # train_results.jsonl under its precision; each run's metrics.jsonl goes into logs.tgz as
  # metrics_<precision>.jsonl.
  for precision in ${TRAIN_PRECISIONS:-fp32}; do
    step "train: whole PPI-shaped run to early stopping at train.precision: $precision"
    start=$SECONDS
    result=$(timeout 180 "$build/gat_train" --config configs/ppi.yaml --set data.path="$data" \
      --set train.device=cuda --set train.precision=$precision --set train.run_dir="/tmp/gpu_session_$precision" \
      --log-level warn 2>>"$out/train_err.log" | tail -1)
    echo "{\"precision\": \"$precision\", \"result\": ${result:-null}}" | tee -a "$out/train_results.jsonl"
    echo "gat_train wall clock: $((SECONDS - start)) s"; tail -3 "$out/train_err.log"
    cp "/tmp/gpu_session_$precision/metrics.jsonl" "$out/metrics_$precision.jsonl" 2>/dev/null
  done
fi
# At most 8 files come back from the lent machine (here 6 at most): the logs travel as one archive.
logs=$(cd "$out" && ls configure.log build.log ctest.log train_err.log metrics_*.jsonl 2>/dev/null)
(cd "$out" && tar czf logs.tgz $logs && rm $logs)
step "done"
