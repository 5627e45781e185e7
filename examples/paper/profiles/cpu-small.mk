# cpu-small: the paper's whole graph at toy size, on 2 CPU cores in under 20 minutes (two runs at a time, one
# libtorch thread each). The reference architecture with 2 layers × 4 heads, d_model 64, on short sequences
# (24 tokens, at most 10 between the triggers, 64-token vocabulary), 2,500 training rows, 16 epochs, 2 seeds.
TITLE := pe-tools: the paper's claims on a small CPU model (make paper PROFILE=cpu-small)
JOBS := 2
GEN_distance := --vocab 64 --n-train 2500 --n-test 500 --seq-len 24 --max-side 5 --max-between 10
GEN_count := --vocab 64 --n-train 2500 --n-test 500 --seq-len 24 --max-count 16 --n-triggers 8
TRAIN := --arch reference --vocab 64 --classes 32 --d-model 64 --d-ff 128 --heads 4 --layers 2 --max-len 28 \
  --batch-size 64 --lr 2e-3 --epochs 16 --threads 1
RUNS := $(call runs,distance,rope nope sinusoidal learned alibi relative rope-abs rope-mla,0 1) \
  $(call runs,distance,rope-k1 rope-k2,0) \
  $(call runs,count,rope nope sinusoidal alibi rope-abs rope-mla,0 1)
# pe-heads: every table on the test split (500 rows), one thread.
HEADS := --split test --threads 1
POSVEC_RUNS := $(call runs,distance,sinusoidal rope-abs,0 1)
POSVEC := --draws 5
PROBE_RUNS := $(call runs,distance,rope alibi nope,0 1)
PROBE_EVERY := 40
DYNAMICS_RUNS := $(call runs,distance,rope,0)
SAVE_EVERY := 80
SPECTRUM_PES := rope sinusoidal alibi t5 nope
SPECTRUM := --n 64 --d-head 16 --seed 0
CONTRACTION_PES := rope sinusoidal alibi t5 nope
CONTRACTION := --n 32,64 --d-head 16 --instances 100 --seed 0 --threads 1
