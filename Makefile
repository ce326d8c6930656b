# InspectQA: the two commands a newcomer needs.
#   make run   set up .venv, build the index from reports/ if missing, start the app
#   make test  set up .venv and run the whole test suite (real encoder included)
#   make peers set up the Haystack peer's own venv (benchmarks/peers/.venv); make peers-compare scores it

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INDEX_DIR ?= index
PORT ?= 8501
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test setup index lint bench clean peers peers-compare

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

# The Haystack peer lives in its own virtual environment, never in the product's (docs/peers.md).
PEERS_VENV := benchmarks/peers/.venv

$(PEERS_VENV)/.installed: benchmarks/peers/requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
	test -x $(PEERS_VENV)/bin/python || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PEERS_VENV)/bin/pip install --quiet torch==2.13.0
	$(PEERS_VENV)/bin/pip install --quiet -r benchmarks/peers/requirements.txt
	@touch $@

peers: $(PEERS_VENV)/.installed

peers-compare: setup peers
	$(BIN)/python benchmarks/peers/compare.py

clean:
	rm -rf $(INDEX_DIR)/gen-* $(INDEX_DIR)/manifest.json $(INDEX_DIR)/.lock .pytest_cache
