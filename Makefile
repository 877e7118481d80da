# tagtrail: `make test` and `make demo` work from a clean clone with only Python 3.11 and pip.
PYTHON ?= python3.11
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
UV_VERSION := 0.13.9
# Two workers: most tests wait on a subprocess, a server or the browser, so two keep both cores busy.
TEST_WORKERS ?= 2
# apt-get needs root: sudo when make itself does not run as root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install test lint bench demo clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	UV_PYTHON=$(PYTHON) $(UV) sync --frozen --quiet
	touch $@

install: $(VENV)/.installed

lint: install
	$(VENV)/bin/ruff check .

test: install
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }  # the dashboard's browser tests
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest -q -n $(TEST_WORKERS)

bench: install
	$(VENV)/bin/python -m benchmarks.run $(BENCH_ARGS)

demo: install
	$(VENV)/bin/tagtrail demo --dir demo --host 127.0.0.1 --port 8501

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache
