"""Hostile SavedModels built at test time: graphs that touch files or call Python.

Each one computes ``y = 2x`` on a ``[None, 4]`` float input, so it would convert, and hides
the op where a loader or the validation runs it. ``canary`` is the file an op would write:
tests assert it was never created. TensorFlow is imported lazily, inside the builders.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SIGNATURE = [(None, 4)]


def _save(module: Any, path: Path) -> Path:
    import tensorflow as tf

    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def _spec() -> Any:
    import tensorflow as tf

    return tf.TensorSpec([None, 4], tf.float32, name="x")


def _serving(path: Path, output: Callable[[Any], Any]) -> Path:
    """The one shape most of these models share: a serving function of ``x`` (float
    ``[None, 4]``) returning ``{"y": output(x)}``, where ``output`` hides its op."""
    import tensorflow as tf

    class Serving(tf.Module):
        @tf.function(input_signature=[_spec()])
        def serve(self, x: Any) -> dict[str, Any]:
            return {"y": output(x)}

    return _save(Serving(), path)


def _after(op: Any, x: Any) -> Any:
    """``2x``, computed only once ``op`` ran."""
    import tensorflow as tf

    with tf.control_dependencies([op]):
        return tf.identity(x * 2.0)


def writes_file(path: Path, canary: Path) -> Path:
    """The serving function writes ``canary`` every time it runs (WriteFile)."""
    import tensorflow as tf

    return _serving(
        path,
        lambda x: _after(tf.io.write_file(str(canary), tf.strings.as_string(tf.reduce_sum(x))), x),
    )


def reads_file(path: Path, secret: Path) -> Path:
    """The serving function reads ``secret`` and mixes its length into the output (ReadFile)."""
    import tensorflow as tf

    def output(x: Any) -> Any:
        length = tf.strings.length(tf.io.read_file(str(secret)))
        return x * 2.0 + tf.cast(length, tf.float32) * 0.0

    return _serving(path, output)


def _calls_python(path: Path, canary: Path, wrap: Callable[..., Any]) -> Path:
    """``wrap`` (tf.py_function or tf.numpy_function) around a Python callback that would
    write ``canary``."""
    import numpy as np
    import tensorflow as tf

    def callback(x: Any) -> Any:
        canary.write_text("python ran")
        return (np.asarray(x) * 2.0).astype(np.float32)

    return _serving(path, lambda x: tf.ensure_shape(wrap(callback, [x], tf.float32), [None, 4]))


def calls_py_function(path: Path, canary: Path) -> Path:
    """tf.py_function (EagerPyFunc) whose Python callback would write ``canary``."""
    import tensorflow as tf

    return _calls_python(path, canary, tf.py_function)


def calls_numpy_function(path: Path, canary: Path) -> Path:
    """tf.numpy_function (PyFunc) whose Python callback would write ``canary``."""
    import tensorflow as tf

    return _calls_python(path, canary, tf.numpy_function)


def initializer_writes_file(path: Path, canary: Path) -> Path:
    """A resource whose initializer writes ``canary``: tf.saved_model.load runs it."""
    import tensorflow as tf

    class Resource(tf.saved_model.experimental.TrackableResource):
        def _create_resource(self) -> Any:
            return tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[], shared_name="")

        def _initialize(self) -> Any:
            written = tf.io.write_file(str(canary), "initializer ran")
            with tf.control_dependencies([written]):
                return tf.raw_ops.AssignVariableOp(resource=self.resource_handle, value=2.0)

    class Initialized(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.resource = Resource()
            _ = self.resource.resource_handle  # created here, outside the traced function

        @tf.function(input_signature=[_spec()])
        def serve(self, x: Any) -> dict[str, Any]:
            handle = self.resource.resource_handle
            return {"y": x * tf.raw_ops.ReadVariableOp(resource=handle, dtype=tf.float32)}

    return _save(Initialized(), path)


def restore_writes_file(path: Path, canary: Path) -> Path:
    """An object whose checkpoint restore function writes ``canary``: tf.saved_model.load
    calls it while restoring variables."""
    import tensorflow as tf

    class Restored(tf.saved_model.experimental.TrackableResource):
        def _create_resource(self) -> Any:
            return tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[], shared_name="")

        def _initialize(self) -> Any:
            return tf.raw_ops.AssignVariableOp(resource=self.resource_handle, value=2.0)

        def _serialize_to_tensors(self) -> dict[str, Any]:
            return {"value": tf.constant(2.0)}

        def _restore_from_tensors(self, restored: dict[str, Any]) -> Any:
            written = tf.io.write_file(str(canary), "restore ran")
            with tf.control_dependencies([written]):
                return tf.raw_ops.AssignVariableOp(
                    resource=self.resource_handle, value=restored["value"]
                )

    class Holder(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.state = Restored()
            self.state._initialize()

        @tf.function(input_signature=[_spec()])
        def serve(self, x: Any) -> dict[str, Any]:
            handle = self.state.resource_handle
            return {"y": x * tf.raw_ops.ReadVariableOp(resource=handle, dtype=tf.float32)}

    return _save(Holder(), path)


def _tf1_saved_model(path: Path, canary: Path | None) -> Path:
    """A TF1 SavedModel computing ``x * scale`` with the usual ``save/`` saver; with a
    ``canary``, its restore op (``save/restore_all``) first writes that file."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        scale = v1.get_variable("scale", initializer=tf.constant(2.0), use_resource=False)
        y = tf.identity(x * scale, name="y")
        saver = None
        if canary is not None:
            saver = v1.train.Saver()
            written = tf.io.write_file(str(canary), "saver ran", name="hidden_write")
            graph.get_operation_by_name("save/restore_all")._add_control_input(written)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(str(path))
            signature = v1.saved_model.predict_signature_def({"x": x}, {"y": y})
            builder.add_meta_graph_and_variables(
                session, ["serve"], signature_def_map={"serving_default": signature}, saver=saver
            )
            builder.save()
    return path


def tf1_saver_writes_file(path: Path, canary: Path) -> Path:
    """A TF1 SavedModel whose saver restore op (``save/restore_all``, which TF1 loaders and
    tf.saved_model.load run with the variables path) first writes ``canary``."""
    return _tf1_saved_model(path, canary)


def tf1_plain(path: Path) -> Path:
    """A TF1 SavedModel with a variable and the usual ``save/`` saver: no findings."""
    return _tf1_saved_model(path, None)


def vocabulary_table(path: Path, vocabulary: Path) -> Path:
    """A lookup table filled from a vocabulary file, which SavedModel keeps as an asset."""
    import tensorflow as tf

    class Vocabulary(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            initializer = tf.lookup.TextFileInitializer(
                str(vocabulary),
                tf.string,
                tf.lookup.TextFileIndex.WHOLE_LINE,
                tf.int64,
                tf.lookup.TextFileIndex.LINE_NUMBER,
            )
            self.table = tf.lookup.StaticHashTable(initializer, -1)

        @tf.function(input_signature=[_spec()])
        def serve(self, x: Any) -> dict[str, Any]:
            known = tf.cast(self.table.lookup(tf.constant("b")), tf.float32)
            return {"y": x * known}

    return _save(Vocabulary(), path)


def asserts_positive(path: Path) -> Path:
    """tf.debugging.assert_positive on the input: fires on the validation inputs."""
    import tensorflow as tf

    return _serving(
        path, lambda x: _after(tf.debugging.assert_positive(x, message="x must be positive"), x)
    )


def aborts_tensorflow(path: Path) -> Path:
    """A node that kills the process running it (``Abort``: SIGABRT, as a kernel's CHECK
    failure does): no Python exception names the node."""
    import tensorflow as tf

    return _serving(path, lambda x: _after(tf.raw_ops.Abort(error_msg="kernel gave up"), x))


def parses_strings(path: Path) -> Path:
    """A string input parsed as numbers: the synthetic string is not a number."""
    import tensorflow as tf

    class Parsing(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def serve(self, text: Any) -> dict[str, Any]:
            return {"y": tf.strings.to_number(text) * 2.0}

    return _save(Parsing(), path)


def allocates(path: Path, elements_per_row: int) -> Path:
    """Allocates ``batch × elements_per_row`` floats: with a large factor, more than any
    memory limit allows."""
    import tensorflow as tf

    def output(x: Any) -> Any:
        rows = tf.cast(tf.shape(x)[0], tf.int64)
        big = tf.zeros(tf.stack([rows * elements_per_row]), tf.float32)
        return x * 2.0 + tf.reduce_sum(big)

    return _serving(path, output)
