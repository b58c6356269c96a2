# The two commands of the README: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Reinstall when the project's dependencies change. The demo needs only the service; the
# development tools (make test) are a superset, so installing them satisfies the demo too.
STAMP  := $(VENV)/.installed-dev
SERVICE_STAMP := $(VENV)/.installed-service
BENCH_STAMP := $(VENV)/.installed-bench

# Options for the demo: make demo DEMO_ARGS="--port 8001"
DEMO_ARGS ?=

.DEFAULT_GOAL := demo
.PHONY: demo test lint typecheck unit bench clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit("tgpass needs Python 3.11+ (e.g. make PYTHON=python3.12)") if sys.version_info < (3, 11) else None'
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { echo "tgpass: install python3-venv first (Debian/Ubuntu)"; exit 1; }
	@echo "tgpass: creating $(VENV) with $$($(PYTHON) -c 'import sys; print(sys.executable, sys.version.split()[0])')"
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

$(SERVICE_STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "tgpass: installing tgpass and the service's dependencies into $(VENV) (first run only, about a minute)…"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[service]'
	touch $@

$(STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "tgpass: installing tgpass, the service and the development tools into $(VENV) (first run only, a few minutes)…"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,service]'
	touch $@ $(SERVICE_STAMP)

$(BENCH_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,service,bench]'
	touch $@ $(SERVICE_STAMP)

# TGPASS_DEMO_VIA: the demo's messages then name its options the make way (DEMO_ARGS=...)
demo: $(SERVICE_STAMP)
	@TGPASS_DEMO_VIA=make $(BIN)/tgpass demo $(DEMO_ARGS)

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Four workers on two cores: most of the suite waits (on sockets, a sandbox's limits, a
# browser), so it runs in about half the time; each test has its own ports, temporary
# directory, database schema and Redis prefix. Tests that measure a rate run after, alone.
unit: $(STAMP)
	$(BIN)/pytest -n 4 -m "not alone"
	$(BIN)/pytest -m alone

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.verify
	$(BIN)/python -m bench.login_token
	$(BIN)/python -m bench.sandbox
	$(BIN)/python -m bench.http
	$(BIN)/python -m bench.notify
	$(BIN)/python -m bench.events
	$(BIN)/python -m bench.reconcile
	$(BIN)/python -m bench.reconcile_apply
	$(BIN)/python -m bench.integrations

# The catalogs (src/tgpass/i18n/locale): `make messages` extracts every message into the
# three templates (.pot) and merges them into each language's .po; translate there, then
# `make compile-messages` writes the .mo files the package ships (a test checks they match).
# The bot's messages are its texts module; the site's, the pages and web code; the errors',
# the message of every error tgpass raises, wherever it is raised.
LOCALE := src/tgpass/i18n/locale
PYBABEL := $(BIN)/pybabel
EXTRACT := $(PYBABEL) extract -F src/tgpass/i18n/babel.cfg --no-location --sort-output \
	--project tgpass --copyright-holder tgpass --no-default-keywords --add-comments Translators:
# (InvalidAuthData's message comes second, after its code; __init__ finds the messages a class
# gives its base itself)
ERROR_KEYWORDS := TgpassError InvalidAuthData:2 InvalidDeepLink InvalidInput AuthError RateLimited \
	TooManyAttempts Forbidden NotFound Conflict Unavailable AlreadyLinked LastSignInMethod \
	InvalidToken InsufficientScope UnreadableUpdate TelegramError TelegramTransient TelegramRefused \
	__init__
.PHONY: messages compile-messages

messages: $(STAMP)
	$(EXTRACT) -k _ -k n_:1,2 -k N_ -o $(LOCALE)/bot.pot src/tgpass/service/bot/texts.py
	$(EXTRACT) -k _ -k N_ -k gettext -k ngettext:1,2 -k pgettext:1c,2 -k npgettext:1c,2,3 \
		-o $(LOCALE)/site.pot src/tgpass/web src/tgpass/service/oidc/provider/claims.py
	$(EXTRACT) $(foreach name,$(ERROR_KEYWORDS),-k $(name)) -o $(LOCALE)/errors.pot \
		src/tgpass/errors.py src/tgpass/verify src/tgpass/domain src/tgpass/service src/tgpass/web \
		src/tgpass/telegram/updates.py src/tgpass/outbound.py
	for domain in bot site errors; do for po in $(LOCALE)/*/LC_MESSAGES/$$domain.po; do \
		if [ -f "$$po" ]; then $(PYBABEL) --quiet update --no-fuzzy-matching --ignore-obsolete \
			-D $$domain -i $(LOCALE)/$$domain.pot -d $(LOCALE) \
			-l $$(basename $$(dirname $$(dirname $$po))) || exit 1; fi; done; done

compile-messages: $(STAMP)
	for domain in bot site errors; do $(PYBABEL) --quiet compile --statistics -D $$domain -d $(LOCALE) || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist

# Mutation testing (mutmut, configured in [tool.mutmut] of pyproject.toml): slow, so not part
# of `make test`. It works on a copy of src/, tests/ and pyproject.toml in build/mutate, so the
# working tree stays clean and edits made meanwhile do not change the run. A surviving mutant is
# a missing test. Narrow a run with MUTANTS, e.g. make mutate MUTANTS='tgpass.verify._signing.*'
# and inspect one with: cd build/mutate && ../../.venv/bin/mutmut show <name>
# Another package, with the tests that should kill its mutants (replacing, in the copy only,
# only_mutate and the test selection of [tool.mutmut]):
#   make mutate MUTATE_ONLY='src/tgpass/domain/*' MUTATE_TESTS='tests/domain'
# MUTATE_REF=HEAD (any commit) mutates that commit instead of the working tree.
MUTATE_STAMP := $(VENV)/.installed-mutate
MUTATE_DIR   := build/mutate
MUTANTS      ?=
MUTATE_ONLY  ?=
MUTATE_TESTS ?=
MUTATE_REF   ?=

.PHONY: mutate

$(MUTATE_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,service,mutate]'
	touch $@ $(SERVICE_STAMP)

mutate: $(MUTATE_STAMP)
	rm -rf $(MUTATE_DIR)
	mkdir -p $(MUTATE_DIR)
	$(if $(MUTATE_REF),git archive $(MUTATE_REF) src tests pyproject.toml | tar -x -C $(MUTATE_DIR),cp -R src tests pyproject.toml $(MUTATE_DIR)/)
	$(if $(MUTATE_ONLY),sed -i 's|^only_mutate = .*|only_mutate = [$(foreach p,$(MUTATE_ONLY),"$(p)",)]|' $(MUTATE_DIR)/pyproject.toml)
	$(if $(MUTATE_TESTS),sed -i 's|^pytest_add_cli_args_test_selection = .*|pytest_add_cli_args_test_selection = [$(foreach p,$(MUTATE_TESTS),"$(p)",)]|' $(MUTATE_DIR)/pyproject.toml)
	cd $(MUTATE_DIR) && start=$$(date +%s) && $(abspath $(BIN))/mutmut run $(MUTANTS) \
		&& echo "mutmut run took $$(( $$(date +%s) - start )) s"
	cd $(MUTATE_DIR) && $(abspath $(BIN))/mutmut export-cicd-stats && cat mutants/mutmut-cicd-stats.json
	cd $(MUTATE_DIR) && $(abspath $(BIN))/mutmut results
