#!/usr/bin/env bash
# bf16 against fp32 to the END of a schedule (issue #11, item 4): for each seed and precision, examples/gpu/grid.sh
# trains SPEC with the paper's reference model and recipe over a whole EPOCHS-epoch schedule (6% warm-up, cosine
# down to its end at epoch EPOCHS), so each run's last test row is a final accuracy, not a snapshot taken with the
# learning rate at its peak. Then final.csv gathers those rows and summary.txt the mean and sample std per precision.
#
#   bench/train/precision-accuracy.sh BIN OUT EPOCHS SPEC "SEEDS" "PRECISIONS"
#   e.g. bench/train/precision-accuracy.sh /tmp/b/pe-tools "$OUT" 12 distance/rope "0 1 2" "bf16 fp32"
#
# A bf16 run evaluates with its bf16 compute weights (--eval-precision bf16, as the grid trains); fp32 in fp32.
# Resumable: runs live in RUNS_ROOT [/tmp/pe-acc-runs]/PRECISION-eEPOCHS and a rerun continues an unfinished one
# (the epochs of one call can be cut with STOP_AFTER, e.g. STOP_AFTER=6, then the same command again).
# Environment: RUNS_ROOT, DATA_DIR, STOP_AFTER, EXTRA_ARGS (more pe-train options for every run).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1 out=$2 epochs=$3 spec=$4 seeds=$5 precisions=$6
mkdir -p "$out"
for precision in $precisions; do
  for seed in $seeds; do
    eval_precision=fp32
    [[ $precision == bf16 ]] && eval_precision=bf16
    start=$(date +%s)
    SEED=$seed SCHEDULE_EPOCHS=$epochs RUNS_DIR=${RUNS_ROOT:-/tmp/pe-acc-runs}/$precision-e$epochs ANALYSES=none \
      TRAIN_ARGS="--precision $precision --eval-precision $eval_precision ${EXTRA_ARGS:-}" \
      bash "$here/../../examples/gpu/grid.sh" "$bin" "$out/$precision" "${STOP_AFTER:-$epochs}" "$spec" 2>>"$out/log.txt"
    echo "$precision seed $seed: $(( $(date +%s) - start )) s" | tee -a "$out/times.txt" >&2
  done
done
python3 - "$out" "$precisions" <<'PY'
import csv, glob, os, statistics, sys
out, precisions = sys.argv[1], sys.argv[2].split()
rows = []
for precision in precisions:
    for path in sorted(glob.glob(os.path.join(out, precision, "*.metrics.csv"))):
        test = [r for r in csv.DictReader(open(path)) if r["split"] == "test"]
        if test:
            last = test[-1]
            rows.append({"precision": precision, "run": os.path.basename(path)[:-len(".metrics.csv")], "epoch": last["epoch"],
                         "test_loss": last["loss"], "test_accuracy": last["accuracy"]})
with open(os.path.join(out, "final.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, ["precision", "run", "epoch", "test_loss", "test_accuracy"])
    w.writeheader(); w.writerows(rows)
with open(os.path.join(out, "summary.txt"), "w") as f:
    for precision in precisions:
        acc = [float(r["test_accuracy"]) for r in rows if r["precision"] == precision]
        loss = [float(r["test_loss"]) for r in rows if r["precision"] == precision]
        if not acc: continue
        sd = lambda x: statistics.stdev(x) if len(x) > 1 else float("nan")
        line = (f"{precision}: {len(acc)} runs, final test accuracy {statistics.mean(acc):.4f} ± {sd(acc):.4f} "
                f"(each {', '.join(f'{a:.4f}' for a in acc)}), test loss {statistics.mean(loss):.4f} ± {sd(loss):.4f}")
        print(line); f.write(line + "\n")
PY
