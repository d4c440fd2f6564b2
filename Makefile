# The course's everyday commands. `make book` and `make test` work on a fresh clone:
# they create the virtual environment .venv from requirements.txt first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BUILD_CMD := $(BIN)/jupyter-book build . -n -W --keep-going

.PHONY: help venv book test lint format bench clean clean-cache

help:
	@echo "make book    create .venv if needed and build the HTML book into _build/html"
	@echo "make test    create .venv if needed, then ruff and pytest (includes one quick-profile book build)"
	@echo "make lint    ruff check + format check"
	@echo "make bench   run the benchmark scripts in benchmarks/"
	@echo "make colab   regenerate the Colab notebooks in colab/ from the chapters (commit them)"
	@echo "make clean   remove _build (HTML and execution caches)"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

book: $(STAMP)
	$(BUILD_CMD)
	@echo "The book is in $(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

.PHONY: colab
colab: $(STAMP)
	$(BIN)/python book/_ext/colab_notebooks.py

clean:
	rm -rf _build

clean-cache:
	rm -rf _build/.jupyter_cache
