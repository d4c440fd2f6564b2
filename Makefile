# The course's everyday commands. `make book` and `make test` work on a fresh clone:
# they create the virtual environment .venv from requirements.txt first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BUILD_CMD := $(BIN)/jupyter-book build . -n -W --keep-going

.PHONY: help venv book test test-min lint format bench clean clean-cache

help:
	@echo "make book    create .venv if needed and build the HTML book into _build/html"
	@echo "make test    create .venv if needed, then ruff and pytest (includes one quick-profile book build)"
	@echo "make test-min  the unit tests with the lowest versions pyproject.toml allows (own venv .venv-min)"
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

# The unit tests against the floors of pyproject.toml: a separate Python 3.11 venv with exactly the
# versions of tests/min-versions.txt (binary wheels only, so a floor without a wheel fails here),
# the test tools, and the book tools the unit tests import, at their requirements.txt pins.
MIN_PYTHON      ?= python3.11
MIN_VENV        ?= .venv-min
MIN_BIN         := $(MIN_VENV)/bin
MIN_STAMP       := $(MIN_VENV)/.installed
MIN_CONSTRAINTS := tests/min-versions.txt
BOOK_TOOLS      := ^(jupyter-book|myst-nb|sphinx-exercise|sphinxcontrib-bibtex|jupytext|pyyaml)==

$(MIN_STAMP): $(MIN_CONSTRAINTS) pyproject.toml requirements.txt
	rm -rf $(MIN_VENV)
	$(MIN_PYTHON) -m venv $(MIN_VENV)
	$(MIN_BIN)/python -m pip install --quiet --upgrade pip
	grep -iE '$(BOOK_TOOLS)' requirements.txt > $(MIN_VENV)/book-tools.txt
	$(MIN_BIN)/python -m pip install --quiet --only-binary=:all: -c $(MIN_CONSTRAINTS) \
	  -e ".[dl,test]" -r $(MIN_VENV)/book-tools.txt
	$(MIN_BIN)/python -m pip list --format=freeze > $(MIN_VENV)/installed.txt
	touch $@

test-min: $(MIN_STAMP)
	$(MIN_BIN)/python -m pytest -m "not book and not browser and not colab"

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
