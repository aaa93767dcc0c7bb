"""Builders for the source-kind tests: tiny real models, archives (good and crafted), checks.

Model builders import TensorFlow / Keras lazily, inside the function, so that the tests that
need no TensorFlow can import this module for free.
"""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile
import zipfile
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# A serialized tensorflow_hub ModuleDef proto {format: FORMAT_V3}: field 1 (varint) = 3.
# TF1 hub.Module exports write exactly these two bytes to tfhub_module.pb; tensorflow_hub
# 0.16 no longer ships module_def_pb2 to produce them.
MODULE_DEF_V3 = b"\x08\x03"
CLI_ERROR = "hub-convert: error: "


# -- models (TensorFlow) ---------------------------------------------------------------------


def tiny_saved_model(path: Path) -> Path:
    """A TF2 SavedModel: serving_default(x: [None, 3] float32) -> {"y": relu(x @ w + 0.5)}."""
    import tensorflow as tf

    class Tiny(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.25]])

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": tf.nn.relu(tf.matmul(x, self.w) + 0.5)}

    module = Tiny()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def tf1_hub_module(path: Path, *, with_module_def: bool = True) -> Path:
    """A TF1 Hub-format module as ``hub.Module`` exports wrote them.

    Two MetaGraphs (the empty tag set for inference, ``train``), each with a ``default``
    signature whose single input and single output are both named ``default`` (what
    ``hub.add_signature(inputs=tensor, outputs=tensor)`` produces), plus tfhub_module.pb.
    """
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        text = v1.placeholder(tf.float32, [None, 3], name="text")
        weights = v1.get_variable(
            "embedding/w", initializer=tf.constant([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]])
        )
        output = tf.nn.tanh(tf.matmul(text, weights), name="embedding/out")
        signature = v1.saved_model.signature_def_utils.predict_signature_def(
            inputs={"default": text}, outputs={"default": output}
        )
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(str(path))
            builder.add_meta_graph_and_variables(
                session, [], signature_def_map={"default": signature}
            )
            builder.add_meta_graph(["train"], signature_def_map={"default": signature})
            builder.save()
    if with_module_def:
        (path / "tfhub_module.pb").write_bytes(MODULE_DEF_V3)
    return path


def keras3_file(path: Path, *, with_lambda: bool) -> Path:
    """A Keras 3 ``.keras`` file: Dense(3) [-> Lambda(x * 2)] on a 4-feature input."""
    import keras

    inputs = keras.Input((4,), name="features")
    outputs = keras.layers.Dense(3, name="dense")(inputs)
    if with_lambda:
        outputs = keras.layers.Lambda(lambda t: t * 2.0, name="times_two")(outputs)
    keras.Model(inputs, outputs).save(path)
    return path


def keras2_h5_file(path: Path, *, with_lambda: bool) -> Path:
    """A Keras 2 (tf_keras) ``.h5`` file: Dense(3) [-> Lambda(x * 2)] on a 4-feature input."""
    import tf_keras

    inputs = tf_keras.Input((4,), name="features")
    outputs = tf_keras.layers.Dense(3, name="dense")(inputs)
    if with_lambda:
        outputs = tf_keras.layers.Lambda(lambda t: t * 2.0, name="times_two")(outputs)
    tf_keras.Model(inputs, outputs).save(path)
    return path


def keras2_h5_function_activation(path: Path, *, written_by: str = "tf_keras") -> Path:
    """A Keras 2 ``.h5`` file whose Conv1D activation is a plain Python function: tf_keras
    writes {"class_name": "function", "module": "builtins", "config": "scaled_relu"}, its
    name and no code. ``written_by="keras 2.10"`` rewrites that entry as the bare string
    Keras 2.10 wrote (DeepLC's published models have "<lambda>" there)."""
    import h5py  # type: ignore[import-untyped]
    import tensorflow as tf
    import tf_keras

    def scaled_relu(t: Any) -> Any:
        return tf.nn.relu(t) * 0.5

    inputs = tf_keras.Input((8, 2), name="sequence")
    hidden = tf_keras.layers.Conv1D(4, 2, name="conv", activation=scaled_relu)(inputs)
    outputs = tf_keras.layers.Dense(1, name="out")(tf_keras.layers.Flatten()(hidden))
    tf_keras.Model(inputs, outputs).save(path)
    if written_by == "keras 2.10":
        with h5py.File(path, "r+") as h5:
            config = json.loads(h5.attrs["model_config"])
            config["config"]["layers"][1]["config"]["activation"] = "scaled_relu"
            h5.attrs["model_config"] = json.dumps(config)
    return path


# -- fake model files (no TensorFlow) ----------------------------------------------------------


def fake_saved_model_dir(path: Path, *, tf1_hub: bool = False) -> Path:
    """A directory that passes the path checks (resolve never parses saved_model.pb)."""
    path.mkdir(parents=True)
    (path / "saved_model.pb").write_bytes(b"")
    (path / "variables").mkdir()
    (path / "variables" / "variables.index").write_bytes(b"\x00" * 16)
    if tf1_hub:
        (path / "tfhub_module.pb").write_bytes(MODULE_DEF_V3)
    return path


def keras_config_file(path: Path, layers: list[dict[str, Any]], version: str = "3.15.1") -> Path:
    """A ``.keras`` zip holding a Functional config with ``layers`` (no weights)."""
    config = {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {"name": "functional", "trainable": True, "layers": layers},
        "registered_name": None,
    }
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("metadata.json", json.dumps({"keras_version": version}))
        bundle.writestr("config.json", json.dumps(config))
    return path


def keras_layer(class_name: str, name: str, module: str = "keras.layers") -> dict[str, Any]:
    """A layer entry as Keras 3 writes it in config.json."""
    return {
        "module": module,
        "class_name": class_name,
        "config": {"name": name, "trainable": True},
        "registered_name": None if module.startswith("keras") else f"my_pkg>{class_name}",
        "name": name,
    }


def h5_config_file(path: Path, model_config: dict[str, Any] | None) -> Path:
    """An HDF5 file with Keras 2's attributes (``model_config`` omitted when None)."""
    import h5py

    with h5py.File(path, "w") as h5:
        h5.attrs["keras_version"] = "2.21.0"
        h5.attrs["backend"] = "tensorflow"
        if model_config is not None:
            h5.attrs["model_config"] = json.dumps(model_config)
        h5.create_group("model_weights")
    return path


# -- archives ---------------------------------------------------------------------------------


def tar_gz_of(directory: Path, archive: Path, folder: str | None = None) -> Path:
    """``directory``'s contents at the archive root, or inside ``folder``."""
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(directory, arcname=folder or ".")
    return archive


def zip_of(directory: Path, archive: Path, folder: str | None = None) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for file in sorted(directory.rglob("*")):
            name = file.relative_to(directory).as_posix()
            bundle.write(file, f"{folder}/{name}" if folder else name)
    return archive


def crafted_tar(archive: Path, *members: tarfile.TarInfo) -> Path:
    """A .tar.gz with a real saved_model.pb and then ``members`` (files get 4 bytes)."""
    with tarfile.open(archive, "w:gz") as tar:
        _add_bytes(tar, "saved_model.pb", b"")
        for member in members:
            if member.isreg():
                _add_bytes(tar, member.name, b"evil")
            else:
                tar.addfile(member)
    return archive


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = 0o644
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def crafted_zip(archive: Path, name: str, *, symlink_to: str | None = None) -> Path:
    """A .zip with a real saved_model.pb and one more member named ``name``."""
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("saved_model.pb", b"")
        info = zipfile.ZipInfo(name)
        if symlink_to is not None:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            bundle.writestr(info, symlink_to)
        else:
            bundle.writestr(info, b"evil")
    return archive


# -- checks -----------------------------------------------------------------------------------


def error_line(stderr: str) -> str:
    """The CLI's one error line; it must be the last line, with no traceback before it."""
    lines = [line for line in stderr.splitlines() if line.startswith(CLI_ERROR)]
    assert len(lines) == 1, stderr
    assert lines[0] == stderr.rstrip("\n").splitlines()[-1], "the error is the last line"
    assert "Traceback" not in stderr
    return lines[0]


def statuses(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(a["target"], a["variant"]): a["status"] for a in report["artifacts"]}
