# Front Door: `make run` starts everything on this machine, `make test` runs the whole suite.
# Both create .venv at the repository root and install the locked dependencies into it.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

# The functional core, held to mypy --strict.
CORE := schemas services/contracts.py services/asyncapi_document.py services/contract_sources.py services/dsr/rules.py services/common/workdays.py services/intake/children/identity.py \
	services/intake/advice/domain.py services/intake/advice/report.py \
	services/policy/engine.py services/policy/facts.py services/policy/ruleset services/policy/ruleset_model.py services/policy/ruleset_conditions.py \
	services/policy/state.py services/policy/golden.py services/triage/outputs.py services/policy/whatif.py \
	services/policy/history.py services/policy/people.py services/policy/advice.py services/policy/ratings.py \
	services/policy/safeguarding.py services/common/search.py services/common/assignment.py services/common/dead_letters.py \
	services/common/notes.py services/intake/children/domain.py services/intake/summaries/domain.py \
	services/worklists/domain.py services/worklists/rules.py

.PHONY: install run test test-unit lint mutate bench soak schemas clean help

help:
	@echo "make run [DEMO=1]   start broker, database, intake and triage (Ctrl-C stops all)"
	@echo "make test           run the whole test suite"
	@echo "make test-unit      run only the fast tiers (unit tests and handler tests)"
	@echo "make lint           ruff + mypy"
	@echo "make mutate         mutation testing of the pure cores against the unit and handler tests (mutmut)"
	@echo "make bench          benchmarks (not tests), ratios against a baseline in the same run"
	@echo "make soak           10 minutes at 50 referrals/s with random faults, then the invariant checker (PostgreSQL)"
	@echo "make schemas        regenerate schemas/json and schemas/asyncapi.json from the models"

$(STAMP): requirements.lock pyproject.toml services/portal/package-lock.json schemas/tooling/package-lock.json
	cd services/portal && npm ci --no-audit --no-fund --loglevel=error
	cd schemas/tooling && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . 2>/dev/null \
		|| $(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/frontdoor dev $(if $(filter 1 yes true,$(DEMO)),--demo,)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The fast tiers on two processes (pytest-xdist; each test file stays in one process, so a module's fixtures are
# made once), without schemathesis's pytest plugin (only tests/integration uses it; loading it is ~0.8 s a
# process). PYTEST_ARGS='-n 0' runs them in this process.
test-unit: $(STAMP)
	$(PY) -m pytest tests/unit tests/handlers -n 2 --dist loadfile -p no:schemathesis $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check services schemas tests bench
	$(VENV)/bin/mypy $(CORE)

# Mutation testing, run by CI after `make test` (.ci/run): mutmut mutates the pure cores listed in pyproject's
# [tool.mutmut] only_mutate (the one list), runs from a copy in ./mutants the unit tests that reach each mutant
# (stopping at the first failure), and tests/mutation_report.py fails below 90% killed, or when a listed file was not
# run, nothing was mutated, or a mutant's tests could not start. A stopped run (a test that fails or errors before any
# mutant, a file it needs missing from also_copy) shows the end of its log and fails. No database (TEST_DATABASE_URL
# blanked) and a fixed hash seed (each mutant's tests in the same order): the same run everywhere.
# MUTATE_CHILDREN: parallel test processes. One file while iterating (after a first run):
#   FRONTDOOR_SHARED_CASES=$PWD/../shared/cases/triage .venv/bin/mutmut run --max-children 2 'services.dsr.rules*'
MUTATE_CHILDREN ?= 2
mutate: $(STAMP)
	$(PY) -c 'import mutmut' 2>/dev/null || $(PY) -m pip install --quiet "$$(grep '^mutmut==' requirements.lock)"
	rm -rf mutants && mkdir -p var
	@echo "mutmut: mutating the pure cores (about a quarter of an hour on 2 cores; progress in var/mutmut.log)"
	TEST_DATABASE_URL= PYTHONHASHSEED=0 FRONTDOOR_SHARED_CASES=$(abspath ../shared/cases/triage) $(VENV)/bin/mutmut run --max-children $(MUTATE_CHILDREN) \
		> var/mutmut.log 2>&1 || { $(PY) -m tests.mutation_report --log-tail var/mutmut.log; exit 1; }
	$(PY) -m tests.mutation_report

bench: $(STAMP)
	$(PY) -m bench.decide
	$(PY) -m bench.triage_throughput
	$(PY) -m bench.whatif

soak: $(STAMP)
	$(PY) -m bench.soak $(SOAK_ARGS)

schemas: $(STAMP)
	$(VENV)/bin/frontdoor schemas export

clean:
	rm -rf var .pytest_cache mutants
