# The two commands a newcomer needs:  make run   (set up, start, place a sample call)
#                                      make test  (the whole test suite)
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: setup run test lint eval bench clean

$(STAMP): setup.cfg pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/hotline profiles check
	$(BIN)/hotline route --platform 12345 "我家楼下有人在打架，请快派警察过来"
	$(BIN)/hotline route --platform 110 "楼上漏水把我家天花板泡坏了，物业也不管"

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

eval: setup
	$(BIN)/hotline eval --teddycup ../shared/data/teddycup2020/messages.tsv

bench: setup
	$(BIN)/python benchmarks/bench_router.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
