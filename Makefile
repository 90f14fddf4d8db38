# One entry point for every check: `make check` runs lint, format check,
# types and tests, and CI (.ci/run) calls the same target.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages the test network, the demo and the benchmark need (the
# lab itself, the tools its tests drive, the peers the bench times); a real
# IMAP and POP3 server for the receiving side's tests; a browser that the
# HTML report's test looks at the page with.
DEBIAN_PACKAGES := iproute2 nftables conntrack procps dnsmasq-base postfix \
	sasl2-bin libsasl2-modules libsasl2-modules-db openssl \
	bind9-dnsutils iputils-ping swaks nmap dovecot-imapd dovecot-pop3d chromium

.PHONY: all venv deps check lint format-check types test test-fast demo bench clean pyz

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
	@if [ "$$(id -u)" != 0 ]; then \
		echo "make deps: not root, Debian packages not checked (the network tests will be skipped)"; \
		exit 0; \
	fi; \
	missing=$$(for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: venv
	$(BIN)/ruff check netprobe lab tests tools

format-check: venv
	$(BIN)/ruff format --check netprobe lab tests tools

types: venv
	$(BIN)/mypy

test: venv
	$(BIN)/pytest

test-fast: venv
	$(BIN)/pytest -m 'not network'

# deps first: on a fresh machine (as root) the network tests need them.
check: deps lint format-check types test

# One file a support desk can send: python3 dist/netprobe.pyz check example.com
pyz: venv
	$(BIN)/python tools/pyz.py dist/netprobe.pyz
# The traveller's story in the test network (root): port 25 dropped by the
# hotel's ISP, and what netprobe says about it.
demo: deps venv
	$(BIN)/python -m lab.demo

# netprobe, swaks and nmap side by side in the test network (root), with
# 0 and 50 ms one-way delay; prints medians.
bench: deps venv
	$(BIN)/python -m lab.bench

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
