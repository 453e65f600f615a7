# Every function's Makefile (functions/*/Makefile links here). `sam build` runs `make build-<LogicalId>` in a
# copy of the function's folder (template.yaml: the function's Metadata, BuildMethod: makefile), with
# ARTIFACTS_DIR set; what goes there is /var/task on Lambda.
#
# What SAM's own python3.12 builder does (the folder copied, a requirements.txt installed beside it for
# arm64), and one thing it does not: every module compiled to a hash-based .pyc (PEP 552, checked-hash), as
# layers/core/Makefile does for the layer. SAM zips the function with its entries dated 1980 and /var/task is
# read-only, so without it the handler's module is compiled on every cold start (the accept handler's about
# 5 ms on the bench machine, docs/benchmarks.md). A checked-hash .pyc is still not used for a changed source.
#
# PYTHON must be the runtime's minor version; tests/deploy/test_layer.py empties PIP_TARGET_FLAGS to build for
# this machine.
PYTHON ?= python3.12
PIP_TARGET_FLAGS ?= --platform manylinux2014_aarch64 --implementation cp --python-version 3.12 --only-binary=:all:
SOURCES := $(filter-out Makefile __pycache__,$(wildcard *))

build-%:
	cp -R $(SOURCES) "$(ARTIFACTS_DIR)/"
	if [ -f requirements.txt ]; then \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-compile $(PIP_TARGET_FLAGS) \
			--target "$(ARTIFACTS_DIR)" -r requirements.txt; fi
	find "$(ARTIFACTS_DIR)" -name __pycache__ -prune -exec rm -rf {} +
	$(PYTHON) -m compileall -q -j 0 --invalidation-mode checked-hash \
		-s "$(ARTIFACTS_DIR)" -p /var/task "$(ARTIFACTS_DIR)"
