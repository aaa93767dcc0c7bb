"""Write bytecode for the modules the Action imports, and only for those (image build step).

pip installs with --no-compile, so the image carries no bytecode for the ~100 MB of Python
source hub-convert never loads. Without any bytecode, though, every process (the action and
each conversion worker) would compile TensorFlow's Python source again at start-up, about
8 s each on a CI core. So this imports what the action and its workers import (hub-convert's
own modules, TensorFlow with its lazily loaded TFLite converter, the ONNX stack, LiteRT,
Keras 2 and 3, TF Hub) and compiles exactly the source files that were loaded, under the
environment's prefix. The .pyc files are "unchecked-hash": valid whatever the files' mtimes
after COPY --from, and never rewritten (the image is read-only in use).

Usage: python compile_imports.py  (with the environment to compile as sys.prefix)
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import py_compile
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Top-level imports of every stage; hub_convert's own modules are all imported below.
MODULES = (
    "tensorflow",
    "tensorflow.lite.python.lite",
    "tensorflow.lite.python.convert",
    "tensorflow.python.framework.convert_to_constants",
    "keras",
    "tf_keras",
    "tensorflow_hub",
    "tf2onnx.convert",
    "tf2onnx.tf_loader",
    "onnx",
    "onnxruntime",
    "onnxruntime.quantization",
    "onnxconverter_common.float16",
    "ai_edge_litert.interpreter",
    "ai_edge_litert.schema_py_generated",
    "h5py",
    "numpy.ma",
    "numpy.random",
    "pebble",
)


def main() -> int:
    import hub_convert

    for info in pkgutil.walk_packages(hub_convert.__path__, "hub_convert."):
        importlib.import_module(info.name)
    for name in MODULES:
        importlib.import_module(name)
    import tensorflow as tf

    # Attributes TensorFlow resolves lazily on first use.
    _ = (tf.lite.TFLiteConverter, tf.lite.experimental.Analyzer, tf.saved_model.load)

    prefix = Path(sys.prefix).resolve()
    sources = set()
    for module in list(sys.modules.values()):
        origin = getattr(module, "__file__", None)
        if origin and origin.endswith(".py") and Path(origin).resolve().is_relative_to(prefix):
            sources.add(origin)
    for source in sorted(sources):
        py_compile.compile(
            source,
            cfile=importlib.util.cache_from_source(source),
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    print(f"compiled {len(sources)} imported modules under {prefix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
