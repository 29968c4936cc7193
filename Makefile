# The two commands: `make run` (the whole system, locally, on a real Kafka broker) and `make test`.
# Each does its own set-up first: a virtualenv with the pinned dependencies and the Kafka jars.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KAFKA_LIB := deploy/kafka/lib

.PHONY: run test demo lint bench bench-intake contracts setup clean

setup: $(VENV)/.installed $(KAFKA_LIB)/.fetched

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(KAFKA_LIB)/.fetched: deploy/kafka/pom.xml
	mvn -q -B -f deploy/kafka/pom.xml dependency:copy-dependencies
	touch $@

run: setup
	$(PY) -m deploy.local.run

demo: setup
	$(PY) -m deploy.local.demo

test: setup
	$(PY) -m pytest -q

lint: setup
	$(PY) -m ruff check shared services deploy tests bench
	$(PY) -m mypy

bench: setup
	$(PY) bench/e2e.py

bench-intake: setup
	$(PY) bench/intake.py

contracts: setup
	$(PY) -m services.intake.contracts write

clean:
	rm -rf var
