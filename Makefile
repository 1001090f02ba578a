# The two set-up commands of the README: `make demo` (a real search) and `make test`.
# Each creates .venv and installs what it needs; CPU torch is pinned so no CUDA build is pulled.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
FMNIST := /usr/share/datasets/fashion-mnist

.PHONY: demo test install fashion-mnist lint

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check torch==2.13.0
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	$(VENV)/bin/nasx search --config demo

# The suite runs on TEST_WORKERS pytest-xdist workers: most of its time is waiting (Ray start-up, real
# processes and signals), which the workers overlap; tests/conftest.py gives each one intra-op thread.
TEST_WORKERS ?= 2
test: $(STAMP) fashion-mnist
	@start=$$(date +%s); $(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS); rc=$$?; \
	  echo "make test: $$(( $$(date +%s) - $$start )) s wall, $(TEST_WORKERS) workers"; exit $$rc

# Fashion-MNIST comes from Debian's dataset-fashion-mnist (root + apt-get); tests skip it otherwise.
fashion-mnist:
	@test -d $(FMNIST) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; }; }; } || \
	  echo "note: Fashion-MNIST not installed (apt-get install dataset-fashion-mnist); its tests skip"

lint: $(STAMP)
	$(VENV)/bin/ruff check nasx tests benchmarks
