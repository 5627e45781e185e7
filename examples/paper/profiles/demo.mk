# demo: `make demo`, the paper graph end to end in a few minutes on 2 CPU cores: the cpu-small model and data, one
# seed, four PEs on the distance task and two on count, head ablation, one positional-vector and one probe run,
# spectra, and the report with its paper-vs-ours table.
TITLE := pe-tools demo: the paper's pipeline end to end on CPU (make demo)
JOBS := 2
GEN_distance := --vocab 64 --n-train 2500 --n-test 500 --seq-len 24 --max-side 5 --max-between 10
GEN_count := --vocab 64 --n-train 2500 --n-test 500 --seq-len 24 --max-count 16 --n-triggers 8
TRAIN := --arch reference --vocab 64 --classes 32 --d-model 64 --d-ff 128 --heads 4 --layers 2 --max-len 28 \
  --batch-size 64 --lr 2e-3 --epochs 12 --threads 1
RUNS := $(call runs,distance,rope nope sinusoidal alibi,0) $(call runs,count,rope nope,0)
HEADS := --split test --threads 1
POSVEC_RUNS := $(call runs,distance,sinusoidal,0)
POSVEC := --draws 5
PROBE_RUNS := $(call runs,distance,rope alibi,0)
PROBE_EVERY := 40
DYNAMICS_RUNS :=
SAVE_EVERY := 0
SPECTRUM_PES := rope alibi
SPECTRUM := --n 64 --d-head 16 --seed 0
CONTRACTION_PES := rope sinusoidal alibi nope
CONTRACTION := --n 32,64 --d-head 16 --instances 50 --seed 0 --threads 1
