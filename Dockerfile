# hub-convert GitHub Action image: CPU-only TensorFlow and the converters, pinned in
# requirements.txt — the same file the Makefile and CI install from.
#
# Two stages. `build` installs everything into a virtual environment at /opt/venv and removes
# what hub-convert never loads; the final stage copies only that environment onto a clean base,
# so nothing removed in `build` (nor binutils, nor pip's work files) is in a layer users pull.

FROM python:3.11-slim AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2

# strip(1), for the symbol tables of TensorFlow's shared libraries (below). Build stage only.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*

# No pip inside the environment: the base image's pip installs into it (--python).
RUN python -m venv --without-pip /opt/venv

# --no-deps: requirements.txt is complete (see its header); --no-compile: bytecode is written
# below for the modules the action imports, not for all 130 MB of it.
COPY requirements.txt /tmp/build/
RUN pip --python /opt/venv/bin/python install --no-deps --no-compile -r /tmp/build/requirements.txt

COPY pyproject.toml README.md /tmp/build/hub-convert/
COPY src /tmp/build/hub-convert/src
# The Markdown templates, installed as the package hub_convert.templates (pyproject.toml).
COPY templates /tmp/build/hub-convert/templates
RUN pip --python /opt/venv/bin/python install --no-deps --no-compile --no-build-isolation \
        /tmp/build/hub-convert

# What hub-convert never loads (docs/action.md, "The image" says how that was checked):
# - libclang: TensorFlow's build-time dependency for generating bindings; nothing imports `clang`;
# - grpcio: imported only by TensorFlow's debugger server (tfdbg) and experimental RPC ops;
# - tensorflow/include: C++ headers for compiling custom ops (tf.sysconfig.get_include);
# - tf2onnx's own test suite, which its wheel installs as a top-level `tests` package, and
#   onnx's backend conformance test data;
# - LiteRT's WebGPU accelerator plugin, opened only when a compiled model asks for the GPU;
# - the symbol tables (.symtab/.strtab) of TensorFlow's and LiteRT's shared libraries, 250 MB
#   the dynamic loader never reads (it uses .dynsym, which --strip-unneeded keeps).
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN pip --python /opt/venv/bin/python uninstall --yes libclang grpcio \
    && site=$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
    && rm -rf "$site/tensorflow/include" "$site/tests" "$site/onnx/backend/test/data" \
        "$site/ai_edge_litert/libLiteRtWebGpuAccelerator.so" \
    && find "$site/tensorflow" "$site/ai_edge_litert" -type f \( -name '*.so' -o -name '*.so.*' \) \
        -print0 | xargs -0 strip --strip-unneeded

COPY docker/compile_imports.py /tmp/build/
RUN /opt/venv/bin/python /tmp/build/compile_imports.py


# git, for its core binary only (see below). The base image's Debian release fixes its version.
FROM python:3.11-slim AS git
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2

# The unprivileged user the worker processes run model code as (docs/security.md, "Security model"): the
# entrypoint stays root (it gives what it writes in the workspace to the workspace's owner), and
# a worker becomes this user before it imports TensorFlow. Fixed ids, no home, no shell.
RUN groupadd --system --gid 10001 hubconvert \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin hubconvert

COPY --from=build /opt/venv /opt/venv
# git's core binary alone (4 MB; the package with perl and curl is 125 MB): it reads a pull
# request's base model from the checkout (git_base.py); its builtins need only libpcre2 and zlib,
# which the base image has. Without git-remote-https it fetches nothing over the network.
COPY --from=git /usr/bin/git /usr/bin/git
COPY entrypoint.py /opt/hub-convert/entrypoint.py

ENTRYPOINT ["/opt/venv/bin/python", "/opt/hub-convert/entrypoint.py"]
