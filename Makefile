# The two commands: `make run` (the whole system, locally, on a real Kafka broker) and `make test`.
# Each does its own set-up first: a virtualenv with the pinned dependencies and the Kafka jars.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KAFKA_LIB := deploy/kafka/lib
KEYCLOAK_DIST := deploy/keycloak/dist
BROWSER_TESTS := tests/browser

.PHONY: run test demo lint bench bench-intake bench-audit bench-notifier contracts setup clean postgres chromium fonts browser-test

setup: $(VENV)/.installed $(KAFKA_LIB)/.fetched $(KEYCLOAK_DIST)/.fetched chromium fonts $(BROWSER_TESTS)/node_modules/.installed

$(VENV)/.installed: pyproject.toml verifier/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ./verifier -e '.[dev]'
	touch $@

$(KAFKA_LIB)/.fetched: deploy/kafka/pom.xml
	mvn -q -B -f deploy/kafka/pom.xml dependency:copy-dependencies
	touch $@

# Keycloak, the portal's identity provider (deploy/local/keycloak.py): the server distribution, unpacked.
$(KEYCLOAK_DIST)/.fetched: deploy/keycloak/pom.xml
	mvn -q -B -f deploy/keycloak/pom.xml dependency:unpack
	touch $@

# The browser tests (tests/browser): Debian's Chromium (Playwright drives it; it downloads no browser of its own)
# and axe-core from npm, at the version package-lock.json pins, into the git-ignored node_modules.
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver)

# The person's statement as a PDF (services/portal/statement_pdf.py) embeds DejaVu Sans: Debian's fonts-dejavu-core.
fonts:
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || (apt-get update -qq && apt-get install -y -qq fonts-dejavu-core)

$(BROWSER_TESTS)/node_modules/.installed: $(BROWSER_TESTS)/package.json $(BROWSER_TESTS)/package-lock.json
	npm ci --prefix $(BROWSER_TESTS) --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(PY) -m deploy.local.run

demo: setup
	$(PY) -m deploy.local.demo

test: setup postgres
	$(PY) -m pytest -q

browser-test: setup
	$(PY) -m pytest -q $(BROWSER_TESTS)

# The audit ledger's tests run on PostgreSQL 15 too (a private cluster the tests start and stop).
postgres:
	@test -x /usr/lib/postgresql/15/bin/initdb || (apt-get update -qq && apt-get install -y -qq postgresql)

lint: setup
	$(PY) -m ruff check shared services deploy tests bench verifier
	$(PY) -m mypy

bench: setup
	$(PY) bench/e2e.py

bench-intake: setup
	$(PY) bench/intake.py

contracts: setup
	$(PY) -m services.intake.contracts write

bench-audit: setup
	$(PY) bench/audit.py

bench-notifier: setup
	$(PY) bench/notifier.py

clean:
	rm -rf var
