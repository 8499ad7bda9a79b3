# Two commands for a newcomer: `make run` (the main job on the bundled samples) and `make test`.
# Both create .venv on first use and reinstall when pyproject.toml or constraints.txt change.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint browser bench install clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	HF_HUB_OFFLINE=1 $(BIN)/clipper model prepare
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/clipper run --once

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile

# the web page's tests drive Debian's chromium through chromium-driver (README, Quick start)
CHROMIUM ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver

browser:
	@if [ -n "$$CLIPPER_CHROMIUM$$CLIPPER_CHROMEDRIVER" ] || { [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; }; then \
		exit 0; \
	fi; \
	SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	if command -v apt-get >/dev/null && { [ -z "$$SUDO" ] || command -v sudo >/dev/null; }; then \
		$$SUDO apt-get install -y chromium chromium-driver \
			|| { $$SUDO apt-get update && $$SUDO apt-get install -y chromium chromium-driver; } \
			&& exit 0; \
	fi; \
	echo "make test needs a browser for the web page's tests: install the Debian packages chromium and chromium-driver (apt-get install chromium chromium-driver, as root), or set CLIPPER_CHROMIUM and CLIPPER_CHROMEDRIVER"; \
	exit 1

test: lint browser
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/extract.py
	HF_HUB_OFFLINE=1 $(BIN)/python bench/embed.py
	HF_HUB_OFFLINE=1 $(BIN)/python bench/match.py
	$(BIN)/python bench/digest.py
	HF_HUB_OFFLINE=1 $(BIN)/python bench/eval/sentfin.py --semantic
	HF_HUB_OFFLINE=1 $(BIN)/python bench/eval/brands.py --part both
	HF_HUB_OFFLINE=1 $(BIN)/python bench/eval/uci_dedup.py
	$(BIN)/python bench/eval/reuters_acq.py
	$(BIN)/python bench/eval/events.py --part both
	$(BIN)/python bench/eval/n3_reuters128.py
	HF_HUB_OFFLINE=1 $(BIN)/python bench/eval/n3_rss500.py
	HF_HUB_OFFLINE=1 $(BIN)/python bench/eval/reuters_topics.py --part both

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
