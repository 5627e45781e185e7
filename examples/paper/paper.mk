# The paper's pipeline as a make graph on files: datasets → trained runs → head tables → spectra → report.
#   make paper [PROFILE=cpu-small|gpu|demo] [OUT=out/paper/PROFILE] [JOBS=N]   (from the repository root)
#   make -f examples/paper/paper.mk PROFILE=gpu BIN=/opt/pe-tools             (tools of `make gpu-bundle`)
# Every target is a file written atomically by its tool, so an interrupted make resumes where it stopped and a
# finished one reruns nothing. A profile (profiles/PROFILE.mk) says what to run; editing it reruns what depends on
# it. Tool binaries are not prerequisites: rebuilding the tools does not retrain anything (delete OUT to start over).
SHELL := /bin/bash
.DELETE_ON_ERROR:
.SECONDEXPANSION:

PROFILE ?= cpu-small
PROFILE_MK := examples/paper/profiles/$(PROFILE).mk
CONFIG ?= Release
BIN ?=
CLAIMS := examples/paper/claims.csv

# runs(TASK,VARIANTS,SEEDS) → run names TASK-VARIANT-sSEED. A variant is a --pe key, optionally with -mla
# (--attention mla) or -kK (--rope-heads K): rope, rope-abs, rope-mla, rope-k2 (see train.sh).
runs = $(foreach v,$(2),$(foreach s,$(3),$(1)-$(v)-s$(s)))
task_of = $(firstword $(subst -, ,$(1)))
comma := ,
empty :=
space := $(empty) $(empty)

include $(PROFILE_MK)
OUT ?= out/paper/$(PROFILE)
tool = $(if $(BIN),$(BIN)/$(1),dotnet src/$(1)/bin/$(CONFIG)/net10.0/$(1).dll)

MODELS := $(RUNS:%=$(OUT)/runs/%/model.safetensors)
ABLATIONS := $(RUNS:%=$(OUT)/runs/%/ablate.parquet)
POSVECS := $(POSVEC_RUNS:%=$(OUT)/runs/%/posvec.parquet)
DYNAMICS_TABLES := $(DYNAMICS_RUNS:%=$(OUT)/runs/%/dynamics.parquet)
SPECTRA := $(SPECTRUM_PES:%=$(OUT)/spectrum/theory-%.parquet)
CONTRACTION_TABLE := $(OUT)/spectrum/contraction.parquet
REPORT := $(OUT)/report/report.html
# By-products of training, read by the report: every run's metrics, and the probes of PROBE_RUNS.
METRICS := $(RUNS:%=$(OUT)/runs/%/metrics.parquet)
PROBES := $(PROBE_RUNS:%=$(OUT)/runs/%/probes.parquet)

.PHONY: paper data train heads spectrum report
paper: report
data: $(foreach t,$(sort $(foreach r,$(RUNS),$(call task_of,$(r)))),$(OUT)/data/$(t).parquet)
train: $(MODELS)
heads: $(ABLATIONS) $(POSVECS) $(DYNAMICS_TABLES)
spectrum: $(SPECTRA) $(CONTRACTION_TABLE)
report: $(REPORT)

$(OUT)/data/%.parquet: $(PROFILE_MK)
	$(call tool,pe-gen-task) $* --seed 0 $(GEN_$*) -o $@ -q

# One run: the folder's name says what to train; a folder left by an interrupted run is resumed, an outdated one redone.
$(OUT)/runs/%/model.safetensors: $(OUT)/data/$$(call task_of,$$*).parquet $(PROFILE_MK)
	bash examples/paper/train.sh "$(call tool,pe-train)" $(@D) $< $(TRAIN) $(TRAIN_$(call task_of,$*)) \
	  $(if $(filter $*,$(PROBE_RUNS)),--probe-every $(PROBE_EVERY)) $(if $(filter $*,$(DYNAMICS_RUNS)),--save-every $(SAVE_EVERY))

$(OUT)/runs/%/ablate.parquet: $(OUT)/runs/%/model.safetensors
	$(call tool,pe-heads) ablate $(@D) --data $(OUT)/data/$(call task_of,$*).parquet $(HEADS) -o $@ -q

$(OUT)/runs/%/posvec.parquet: $(OUT)/runs/%/model.safetensors
	$(call tool,pe-heads) posvec $(@D) --data $(OUT)/data/$(call task_of,$*).parquet $(HEADS) $(POSVEC) -o $@ -q

$(OUT)/runs/%/dynamics.parquet: $(OUT)/runs/%/model.safetensors
	$(call tool,pe-heads) dynamics $(@D) --data $(OUT)/data/$(call task_of,$*).parquet $(HEADS) -o $@ -q

$(OUT)/spectrum/theory-%.parquet: $(PROFILE_MK)
	$(call tool,pe-spectrum) theory --pe $* $(SPECTRUM) -o $@ -q

$(CONTRACTION_TABLE): $(PROFILE_MK)
	$(call tool,pe-spectrum) contraction --pe $(subst $(space),$(comma),$(CONTRACTION_PES)) $(CONTRACTION) -o $@ -q

$(REPORT): $(MODELS) $(ABLATIONS) $(POSVECS) $(DYNAMICS_TABLES) $(SPECTRA) $(CONTRACTION_TABLE) $(CLAIMS)
	$(call tool,pe-report) $(METRICS) $(PROBES) $(ABLATIONS) $(POSVECS) $(DYNAMICS_TABLES) $(SPECTRA) $(CONTRACTION_TABLE) \
	  --claims $(CLAIMS) --verdicts $(@D)/verdicts.csv --title "$(TITLE)" -o $(@D) -q
	@echo "report: $@ ($$(grep -c ',reproduced,' $(@D)/verdicts.csv) of $$(($$(wc -l < $(@D)/verdicts.csv) - 1)) claims reproduced; verdicts in $(@D)/verdicts.csv)"
