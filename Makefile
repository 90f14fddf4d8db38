# One entry point for every check: `make check` runs lint, format check,
# types and tests, and CI (.ci/run) calls the same target.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages the test network, the demo and the benchmark need.
DEBIAN_PACKAGES := postfix dnsmasq-base nftables iproute2 conntrack openssl \
	swaks nmap libsasl2-modules sasl2-bin

.PHONY: all venv deps check lint format-check types test test-fast demo bench clean

all: check

$(BIN)/python: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/python

venv: $(BIN)/python

# Installs what is missing, non-interactively; needs root. Postfix's debconf
# question is answered "No configuration": the test network writes its own.
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: venv
	$(BIN)/ruff check netprobe lab tests

format-check: venv
	$(BIN)/ruff format --check netprobe lab tests

types: venv
	$(BIN)/mypy

test: venv
	$(BIN)/pytest

test-fast: venv
	$(BIN)/pytest -m 'not network'

check: lint format-check types test

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
