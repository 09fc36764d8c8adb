# The two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8350
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint install clean translations extension

run: $(STAMP)
	$(BIN)/brobygger run --demo --port $(PORT) $(if $(SIMULATOR_PORT),--simulator-port $(SIMULATOR_PORT))

test: $(STAMP)
	$(BIN)/ruff check plugin connectors tests bench
	$(BIN)/lint-imports --no-cache
	@sh .ci/ensure-chromium
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check plugin connectors tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff format --check plugin/migrations/versions

install: $(STAMP)

# The browser extension as a zip in dist/ (load extension/ unpacked while developing it).
extension:
	$(PYTHON) extension/build.py dist

# Extract messages, merge them into the Norwegian catalogue, compile (commit the .po and .mo files).
# Keywords: every way the code calls gettext, plus `_text(tenant, message)` (services/rules.py's stored sentences).
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k lazy_gettext -k _text:2 -o plugin/translations/brobygger.pot .
	$(BIN)/pybabel update -D brobygger -i plugin/translations/brobygger.pot -d plugin/translations -l nb
	$(BIN)/pybabel compile -D brobygger -d plugin/translations

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Brobygger needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,demo]"
	@touch $(STAMP)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

# Benchmarks on a large tenant (not part of `make test`): generate it once, then time it; writes BENCHMARKS.md.
BROBYGGER_BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/brobygger_bench
.PHONY: bench drills
bench: $(STAMP)
	BROBYGGER_BENCH_DATABASE_URL=$(BROBYGGER_BENCH_DATABASE_URL) $(BIN)/python -m bench.generate
	BROBYGGER_BENCH_DATABASE_URL=$(BROBYGGER_BENCH_DATABASE_URL) $(BIN)/python -m bench.run

# The API fuzzed long: schemathesis with every check over every operation, many random cases each (the fast,
# derandomized profile runs in `make test`). More: `make fuzz FUZZ_EXAMPLES=2000`.
FUZZ_EXAMPLES ?= 500
.PHONY: fuzz
fuzz: $(STAMP)
	BROBYGGER_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/app/test_fuzz_api.py -s

# Reliability drills (tests/drills): `make test` runs the fast ones; this runs them all and shows what each did.
drills: $(STAMP)
	$(BIN)/pytest tests/drills -m drill -s
