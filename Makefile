# The two commands a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-deps lint unit test-min bench actions clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint,gcp]'  # gcp: the guide's Artifact Registry test
	touch $@

## make demo: install hwb and run its main job on the bundled example.
demo:
	PYTHON=$(PYTHON) bash examples/demo.sh

## make test: install what the tests need (system packages when run as root), lint,
## type-check, then every test (unit and integration).
test: test-deps lint unit

## make test-deps: podman, node/npm (act's and gitlab-ci-local's packages), the test images;
## as another user it lists what is missing (those tests skip).
test-deps:
	bash tests/setup-machine.sh

lint: $(VENV)/.installed
	$(BIN)/ruff check hwb tests bench
	$(BIN)/ruff format --check hwb tests bench
	$(BIN)/mypy
	# hwb itself runs on the release workflow's Windows and macOS runners too (the tests and
	# benchmarks run on Linux only)
	$(BIN)/mypy --platform win32 hwb
	$(BIN)/mypy --platform darwin hwb

unit: $(VENV)/.installed
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

## make test-min: the tests against the LOWEST versions pyproject.toml declares (uv's
## --resolution lowest-direct), in a separate virtualenv: proves the lower bounds.
test-min: $(VENV)/.installed
	rm -rf .venv-min
	$(BIN)/uv venv --quiet --python $(BIN)/python .venv-min
	$(BIN)/uv pip install --quiet --python .venv-min/bin/python --resolution lowest-direct \
		-e '.[test,uv,s3,gcp]'
	$(BIN)/uv pip install --quiet --python .venv-min/bin/python pip  # tests drive the newest pip
	.venv-min/bin/python -m pytest -n 2 -m "not integration" -p no:cacheprovider $(PYTEST_ARGS)

## make bench: the benchmark scripts (not part of the tests).
bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,lint,bench]'
	$(BIN)/python bench/bench_startup.py
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_inspect.py
	$(BIN)/python bench/bench_publish.py
	$(BIN)/python bench/bench_index.py
	$(BIN)/python bench/bench_action_install.py
	$(BIN)/python bench/bench_gitlab_install.py
	$(BIN)/python bench/bench_matrix.py
	$(BIN)/python bench/bench_init_ci.py

## make actions: rewrite actions/<command>/action.yml after action.yml or hwb/action.py changed.
actions: $(VENV)/.installed
	$(BIN)/python -m tests.actiongen

clean:
	rm -rf $(VENV) .venv-min .venv-s3pypi .demo dist .pytest_cache .mypy_cache .ruff_cache
