"""Versions of the toolchain, read from package metadata (no heavy imports)."""

from __future__ import annotations

import platform
from importlib import metadata

from ..report.run_info import Environment

# Distribution name -> name shown in the report. The first installed of a group wins.
PACKAGES: list[tuple[tuple[str, ...], str]] = [
    (("tensorflow-cpu", "tensorflow"), "tensorflow"),
    (("keras",), "keras"),
    (("tf-keras",), "tf-keras"),
    (("tf2onnx",), "tf2onnx"),
    (("onnx",), "onnx"),
    (("onnxruntime",), "onnxruntime"),
    (("ai-edge-litert",), "ai-edge-litert"),
    (("numpy",), "numpy"),
    (("protobuf",), "protobuf"),
]


def collect() -> Environment:
    versions: dict[str, str] = {}
    for distributions, shown in PACKAGES:
        for distribution in distributions:
            try:
                versions[shown] = metadata.version(distribution)
                break
            except metadata.PackageNotFoundError:
                continue
    return Environment(
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        versions=versions,
    )
