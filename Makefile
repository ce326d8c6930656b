# InspectQA: the two commands a newcomer needs.
#   make run   set up .venv, build the index from reports/ if missing, start the app
#   make test  set up .venv and run the whole test suite (real encoder included)

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INDEX_DIR ?= index
PORT ?= 8501
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test setup index lint bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed

index: setup
	@test -f $(INDEX_DIR)/manifest.json || $(BIN)/inspectqa index reports --index-dir $(INDEX_DIR)

run: index
	@echo "InspectQA is starting: open http://127.0.0.1:$(PORT) in your browser (Ctrl-C to stop)."
	INSPECTQA_INDEX_DIR=$(INDEX_DIR) $(BIN)/streamlit run app.py --server.address 127.0.0.1 \
		--server.port $(PORT) --server.headless true --browser.gatherUsageStats false --client.toolbarMode minimal

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(INDEX_DIR)/gen-* $(INDEX_DIR)/manifest.json $(INDEX_DIR)/.lock .pytest_cache
