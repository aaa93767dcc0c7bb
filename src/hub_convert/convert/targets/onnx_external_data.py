"""ONNX external data, for models whose weights a protobuf message cannot hold.

Big models: a protobuf message cannot reach 2 GiB, and tf2onnx's usual path freezes the whole
graph into one. Above ``model_size.external_data_threshold()`` bytes of weights the model is
converted with tf2onnx's ``large_model`` (its ``compress_graph_def`` takes the big constants out
of the GraphDef, ``ExternalTensorStorage`` collects them by name) and written the standard ONNX
way: ``NAME.onnx`` holds the graph, ``NAME.onnx.data`` beside it every tensor over 1 KiB, each
with its ``location``, ``offset`` and ``length``. onnxruntime, ``onnx.load`` and
``onnx.checker`` (given the path) find the data file next to the model. Every variant of such a
model is written the same way.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def data_file(path: Path) -> Path:
    """Where a model's external data lives: ``NAME.onnx.data`` beside ``NAME.onnx``."""
    return path.with_name(path.name + ".data")


def _tensors(model: Any) -> Iterator[Any]:
    """Every TensorProto of the model: initializers and node attributes, subgraphs included."""

    def visit(graph: Any) -> Iterator[Any]:
        yield from graph.initializer
        for node in graph.node:
            for attribute in node.attribute:
                if attribute.HasField("t"):
                    yield attribute.t
                yield from attribute.tensors
                if attribute.HasField("g"):
                    yield from visit(attribute.g)
                for sub in attribute.graphs:
                    yield from visit(sub)

    yield from visit(model.graph)


def write_external(model: Any, storage: dict[str, bytes], path: Path) -> None:
    """Write tf2onnx's large model as ``path`` + ``data_file(path)``: its set-aside tensors one
    after another in the data file (each dropped from ``storage`` once written, so the weights
    are held once), their entries pointing there."""
    from onnx.external_data_helper import uses_external_data

    data_path = data_file(path)
    placed: dict[str, tuple[int, int]] = {}
    with data_path.open("wb") as data:
        for tensor in _tensors(model):
            if not uses_external_data(tensor):
                continue
            location = next(e.value for e in tensor.external_data if e.key == "location")
            if location not in placed:
                raw = storage.pop(location)
                data.seek(-data.tell() % 4096, 1)  # page-aligned, as onnx.save aligns them
                placed[location] = (data.tell(), len(raw))
                data.write(raw)
                del raw
            offset, length = placed[location]
            del tensor.external_data[:]
            for key, value in (
                ("location", data_path.name),
                ("offset", offset),
                ("length", length),
            ):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, str(value)
    path.write_bytes(model.SerializeToString())


def uses_external_data(path: Path) -> bool:
    """Whether the ONNX file at ``path`` keeps its weights in a data file."""
    return data_file(path).exists()


def copy_model(source: Path, target: Path) -> None:
    """Copy an ONNX model, with its external data under the target's own data file name."""
    if not uses_external_data(source):
        shutil.copyfile(source, target)
        return
    import onnx

    model = onnx.load(str(source), load_external_data=False)
    for tensor in _tensors(model):
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = data_file(target).name
    shutil.copyfile(data_file(source), data_file(target))
    target.write_bytes(model.SerializeToString())
