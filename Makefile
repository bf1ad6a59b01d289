# The doors: make demo, make test, make bench, make lint.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
BENCH_DATA ?= $(abspath $(firstword $(wildcard ../shared/benchmarks /work/shared/benchmarks) ../shared/benchmarks))

.PHONY: demo test test-fast bench bench-serving lint env clean

# A fresh .venv: torch 2.13.0 first (its CPU build lies on disk here), then the package with its extras.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[data,torch,text,dev]'
	touch $(STAMP)

env: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m trainer_agent_lab run \
	  "Train a classifier on the wine data with at least 95% accuracy and fewer than 500 parameters; serve it at 100 requests per second on 512 MB containers." \
	  --data sklearn:wine --out runs/demo --time-budget 120 --yes

# The suite CI runs: lint, unit tests, end-to-end runs and the core acceptance tasks (marked slow).
test: $(STAMP)
	$(BIN)/ruff check trainer_agent_lab tests benchmarks
	$(BIN)/python -m pytest -q --timeout 900 --durations 10

# The same without the slow acceptance runs, for quick iterations.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" --timeout 900

# Both benchmarks: serving (ONNX Runtime vs the native models, HTTP overhead), then the acceptance tasks.
bench: $(STAMP) bench-serving
	$(BIN)/python benchmarks/run_tasks.py --tasks $(BENCH_DATA)/tasks.yaml --out benchmarks/results

bench-serving: $(STAMP)
	$(BIN)/python benchmarks/serving.py --out benchmarks/serving_results.md

lint: $(STAMP)
	$(BIN)/ruff check trainer_agent_lab tests

clean:
	rm -rf runs .pytest_cache .ruff_cache
