# gpu: the paper's configuration (shared/paper/paper.md §5) on one CUDA GPU: the datasets at the reference sizes
# (distance 70,000/30,000 rows, count 35,000/15,000), pe-train's defaults = the reference trans.py (6 layers × 16
# heads, d_model 256, AdamW 1e-4, betas (0.98, 0.9), batch 512, 6% warm-up + cosine), 100 epochs on distance and 150
# on count (Figs. 2, 3), 3 seeds (the paper ran one), head ablation on the whole dataset (--split all, the paper's
# protocol), partial RoPE K ∈ {1,2,3,4,6,8,12} (Fig. 6), RoPE-Abs (Fig. 5), MLA (Table, Fig. 7), positional
# vectors (Fig. 8), gradient probes (Props. 6.1/6.2) and deposit dynamics. Runs go one at a time (one GPU); roughly
# 30 GPU-hours on an H100 at fp32 (≈ 14 s per distance epoch; add --precision bf16 to TRAIN for ~2.3× less).
TITLE := pe-tools: the paper's claims at the paper's configuration (make paper PROFILE=gpu)
JOBS := 1
GEN_distance :=
GEN_count :=
TRAIN := --device cuda
TRAIN_distance := --epochs 100
TRAIN_count := --epochs 150
MAIN := rope nope sinusoidal learned alibi relative rope-abs rope-mla
PARTIAL := rope-k1 rope-k2 rope-k3 rope-k4 rope-k6 rope-k8 rope-k12
RUNS := $(call runs,distance,$(MAIN),0 1 2) $(call runs,count,$(MAIN),0 1 2) \
  $(call runs,distance,$(PARTIAL),0) $(call runs,count,$(PARTIAL),0)
HEADS := --split all --device cuda
POSVEC_RUNS := $(call runs,distance,sinusoidal rope-abs,0 1 2)
POSVEC := --draws 10
PROBE_RUNS := $(call runs,distance,rope alibi nope,0 1 2)
PROBE_EVERY := 200
DYNAMICS_RUNS := $(call runs,distance,rope rope-abs,0)
SAVE_EVERY := 500
SPECTRUM_PES := rope sinusoidal alibi alibi-std t5 nope
SPECTRUM := --n 128 --d-head 16 --seed 0
CONTRACTION_PES := rope sinusoidal alibi alibi-std t5 nope
CONTRACTION := --n 32,64,128 --d-head 16,64 --instances 200 --seed 0
