# The two commands of the README: `make run` (app on the bundled sample) and `make test` (every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install bench

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

run: install
	$(BIN)/python -m streamlit run app.py

# Both cores: the browser tests run as one group on one worker (one app server, one Chromium), the rest beside them.
test: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# The speed ratios of issue 27, each against its floor in the same run (bench/RESULTS.md says what each means).
bench: install
	$(BIN)/python bench/ratios.py
	$(BIN)/python bench/load.py
