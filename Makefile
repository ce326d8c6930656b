# InspectQA: the two commands a newcomer needs.
#   make run   set up .venv, build the index from reports/ if missing, start the app
#   make test  set up .venv (and Chromium for the browser test) and run the whole test suite
#   make peers set up the Haystack peer's own venv (benchmarks/peers/.venv); make peers-compare scores it

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INDEX_DIR ?= index
PORT ?= 8501
CHROMIUM := /usr/bin/chromium
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test setup browser index lint bench clean peers peers-compare

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

test: setup browser
	$(BIN)/python -m pytest -q

# The browser test drives Debian's Chromium at $(CHROMIUM) (not a Playwright download): install it
# when it is missing and apt-get can (as root, or through sudo without a password).
browser:
	@if [ -x $(CHROMIUM) ] || [ "$$INSPECTQA_SKIP_BROWSER" = 1 ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$SUDO" != none ]; then \
		echo "Installing Chromium for the browser test (apt-get install chromium)"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium is missing at $(CHROMIUM) and cannot be installed here: install it (apt-get install" \
			"chromium), or run INSPECTQA_SKIP_BROWSER=1 make test to skip the browser test" >&2; exit 1; \
	fi

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
