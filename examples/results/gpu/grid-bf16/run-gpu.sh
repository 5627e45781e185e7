#!/usr/bin/env bash
# One GPU call of issue #3's bf16 grid: unpack the bundle (.carry/pe-tools-linux-x64.tar.xz, from `make gpu-bundle`),
# generate the task data once, then run examples/gpu/grid.sh over the JOBS ("SEED:SPEC", e.g. 1:distance/learned),
# ("SEED:SPEC:none": no analyses), two at a time (xargs -P 2), under a wall-clock LIMIT (seconds; the whole process group is killed then).
# Results (metrics, ablate, deposit, per-job logs) go to $OUT/results.tar.gz.
#   run-gpu.sh LIMIT EPOCHS JOB...   (fresh run and result folders per call: a job cut by LIMIT is not resumed)
set -uo pipefail
limit=$1 epochs=$2; shift 2
b=/tmp/b; mkdir -p $b && tar -C $b -xJf .carry/pe-tools-linux-x64.tar.xz || exit 1
export PE_LIBTORCH=$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')
export DATA_DIR=/tmp/data RUNS_DIR=/tmp/runs-$$ TRAIN_ARGS="--precision bf16" ANALYSES="ablate"
R=/tmp/res-$$; mkdir -p $R/logs $DATA_DIR
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader; echo "bundle $(cat $b/pe-tools/COMMIT)"
t0=$(date +%s)
for task in $(printf '%s\n' "$@" | cut -d: -f2 | sed 's|/.*||' | sort -u); do
  $b/pe-tools/pe-gen-task $task --seed 0 -o $DATA_DIR/$task.parquet -q
  $b/pe-tools/pe-gen-task $task --seed 0 --n-train 100 --n-test 5000 -o $DATA_DIR/$task-probe.parquet -q
done
echo "data generated in $(( $(date +%s) - t0 ))s"
job() { IFS=: read -r s spec an <<<"$1"; n=$s-${spec//\//-}; echo "start $n at $(( $(date +%s) - t0 ))s"
  SEED=$s ANALYSES=${an:-$ANALYSES} examples/gpu/grid.sh $b/pe-tools $R $epochs $spec 2>$R/logs/$n.log; rc=$?
  echo "end $n rc=$rc at $(( $(date +%s) - t0 ))s"; tail -3 $R/logs/$n.log; }
export -f job; export b R epochs t0
left=$(( limit - ($(date +%s) - t0) ))
timeout $left xargs -P 2 -n 1 bash -c 'job "$0"' <<<"$(printf '%s\n' "$@")"
echo "xargs rc=$? after $(( $(date +%s) - t0 ))s"
cp $b/pe-tools/COMMIT $R/logs/COMMIT
tar -C $R -czf $OUT/results.tar.gz . && ls -la $R $OUT
