"""Legitimate models the safety checks must not refuse, built by the real toolchain: a
SavedModel whose table is filled from its own asset through a nested function call, a Keras
2 ``.h5`` naming TensorFlow's own initializer classes and calling ``tf.*`` through
``TFOpLambda`` layers. And the lines that still hold: what reaches outside is refused."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hub_convert.safety.graph_model import Graph, GraphFunction, GraphNode
from hub_convert.safety.graph_scan import scan_graph
from hub_convert.safety.tf_api import SAFE_NAMESPACES, SAFE_TOP_LEVEL, tf_api_effect
from hub_convert.sources.keras_inspect import inspect_h5_file, unsafe_objects
from support.cli import run_cli


def _node(name: str, op: str, *inputs: str, calls: tuple[str, ...] = ()) -> GraphNode:
    return GraphNode(name=name, op=op, inputs=inputs, calls=calls)


def _findings(graph: Graph) -> list[tuple[str, str | None]]:
    return [(f.op, f.function) for f in scan_graph(graph, "saved_model")]


# --- a table filled from the model's own asset ------------------------------------------


def _nested_table_model(path: Path, vocabulary: Path) -> Path:
    """A tf.Module whose table initializer calls a tf.function that fills the table: the
    asset path reaches InitializeTableFromTextFileV2 as an argument of a nested call."""
    import tensorflow as tf
    from tensorflow.python.ops import gen_lookup_ops

    @tf.function
    def fill(handle: Any, filename: Any) -> Any:
        gen_lookup_ops.initialize_table_from_text_file_v2(handle, filename, -2, -1)
        return tf.constant(0)

    class FilledByCall(tf.lookup.TextFileInitializer):
        def initialize(self, table: Any) -> Any:
            return fill(table.resource_handle, self._filename)

    class Vocabulary(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            whole_line, line_number = (
                tf.lookup.TextFileIndex.WHOLE_LINE,
                tf.lookup.TextFileIndex.LINE_NUMBER,
            )
            initializer = FilledByCall(
                str(vocabulary), tf.string, whole_line, tf.int64, line_number
            )
            self.table = tf.lookup.StaticHashTable(initializer, -1)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x: Any) -> dict[str, Any]:
            known = tf.cast(self.table.lookup(tf.constant("b")), tf.float32)
            return {"y": x * known}

    module = Vocabulary()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


@pytest.mark.tf
def test_table_filled_from_its_own_asset_through_a_call_is_not_a_finding(tmp_path: Path) -> None:
    from hub_convert.convert.saved_model_scan import scan_saved_model

    vocabulary = tmp_path / "vocab.txt"
    vocabulary.write_text("a\nb\nc\n")
    model = _nested_table_model(tmp_path / "model", vocabulary)
    assert (model / "assets" / "vocab.txt").exists()

    assert scan_saved_model(model) == []


def _reader(name: str = "reader") -> GraphFunction:
    body = (_node("init", "InitializeTableFromTextFileV2", "table", "path"),)
    return GraphFunction(name, ("table", "path"), body)


def _call(name: str, callee: str, *inputs: str) -> GraphNode:
    return _node(name, "StatefulPartitionedCall", *inputs, calls=(callee,))


def test_a_path_passed_down_only_from_the_asset_is_the_models_own() -> None:
    init = GraphFunction("init", ("handle", "asset"), (_call("c", "reader", "handle", "asset"),))
    graph = Graph(
        nodes=(),
        functions=(init, _reader()),
        entry_functions=frozenset({"init"}),
        asset_args={"init": frozenset({"asset"})},
    )
    assert _findings(graph) == []


def test_a_reader_also_called_with_another_path_is_a_finding() -> None:
    init = GraphFunction("init", ("handle", "asset"), (_call("c", "reader", "handle", "asset"),))
    other = GraphFunction(
        "serve", ("handle",), (_node("p", "Const"), _call("c2", "reader", "handle", "p"))
    )
    graph = Graph(
        nodes=(),
        functions=(init, other, _reader()),
        entry_functions=frozenset({"init", "serve"}),
        asset_args={"init": frozenset({"asset"})},
    )
    assert _findings(graph) == [("InitializeTableFromTextFileV2", "reader")]


def test_a_path_passed_through_a_branch_or_computed_is_a_finding() -> None:
    # If takes its condition first: its inputs are not its branches' arguments one for one.
    branch = GraphFunction(
        "init",
        ("cond", "handle", "asset"),
        (_node("if", "If", "cond", "handle", "asset", calls=("reader",)),),
    )
    joined = GraphFunction(
        "init2",
        ("handle", "asset"),
        (
            _node("j", "StringJoin", "asset"),
            _call("c", "reader", "handle", "j"),
        ),
    )
    for init in (branch, joined):
        graph = Graph(
            nodes=(),
            functions=(init, _reader()),
            entry_functions=frozenset({init.name}),
            asset_args={init.name: frozenset({"asset"})},
        )
        assert _findings(graph) == [("InitializeTableFromTextFileV2", "reader")]


def test_an_asset_variable_written_from_elsewhere_is_not_the_asset() -> None:
    # TF2's TF1-compatible graph keeps the asset path in a variable assigned from the asset.
    nodes = [
        _node("asset", "Placeholder"),
        _node("v", "VarHandleOp"),
        _node("v/Assign", "AssignVariableOp", "v", "asset"),
        _node("read", "ReadVariableOp", "v", "^v/Assign"),
        _node("table", "HashTableV2"),
        _call("init_call", "reader", "table", "read"),
    ]
    own = Graph(nodes=tuple(nodes), functions=(_reader(),), asset_nodes=frozenset({"asset"}))
    assert _findings(own) == []
    evil = (_node("other", "Const"), _node("v/Assign2", "AssignVariableOp", "v", "other"))
    overwritten = Graph(
        nodes=(*nodes, *evil), functions=(_reader(),), asset_nodes=frozenset({"asset"})
    )
    assert _findings(overwritten) == [("InitializeTableFromTextFileV2", "reader")]


# --- Keras 2 files naming TensorFlow's own classes and functions -------------------------


def _keras2_h5_with_tf_ops(path: Path) -> Path:
    """What Keras 2.13-2.15 writes for a model built with tf.* initializers and tf.* calls:
    init_ops_v2 classes named with their module, TFOpLambda / SlicingOpLambda layers."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tensorflow as tf
    import tf_keras

    inputs = tf_keras.Input((6,), name="x")
    dense = tf_keras.layers.Dense(
        4,
        kernel_initializer=tf.random_normal_initializer(stddev=0.1),
        bias_initializer=tf.zeros_initializer(),
        name="dense",
    )(inputs)
    scaled = tf.math.multiply(tf.nn.relu(dense), 2.0)
    sliced = tf.reshape(scaled[:, 1:3], [-1, 2])
    model = tf_keras.Model(inputs, tf.concat([sliced, sliced], axis=-1))
    model.save(path)
    return path


@pytest.mark.tf
def test_keras2_h5_with_tensorflow_initializers_and_tf_ops_converts(tmp_path: Path) -> None:
    model = _keras2_h5_with_tf_ops(tmp_path / "model.h5")
    info = inspect_h5_file(model, "model.h5")
    assert "tensorflow.python.ops.init_ops_v2" in model.read_bytes().decode("latin-1")
    assert (info.unsafe, info.unsafe_ops) == ([], [])

    run = run_cli(
        "convert",
        model,
        "--output-dir",
        tmp_path / "out",
        "--targets",
        "onnx",
        "--latency-runs",
        "0",
    )

    assert run.exit_code == 0, run.stderr
    assert run.report["source"]["unsafe_ops"] == []
    assert [a["status"] for a in run.report["artifacts"]] == ["passed"]


def test_only_tensorflows_data_only_classes_are_known() -> None:
    def problems(module: str, class_name: str) -> list[str]:
        config = {"class_name": class_name, "module": module, "config": {}}
        return [
            u.problem
            for u in unsafe_objects(
                {
                    "class_name": "Dense",
                    "config": {"name": "d", "trainable": True, "kernel_initializer": config},
                }
            )
        ]

    assert problems("tensorflow.python.ops.init_ops_v2", "GlorotUniform") == []
    assert problems("tensorflow.python.ops.init_ops", "Zeros") == []
    assert problems("tensorflow.python.ops.init_ops_v2", "Initializer") != []
    assert problems("tensorflow.python.ops.script_ops", "EagerFunc") != []
    assert problems("tensorflow", "RandomNormal") != []


@pytest.mark.parametrize(
    ("symbol", "effect"),
    [
        ("math.add", None),
        ("nn.relu", None),
        ("__operators__.getitem", None),
        ("reshape", None),
        ("concat", None),
        ("io.read_file", "reads files"),
        ("io.write_file", "reads files"),
        ("lite.Interpreter", "reads files"),
        ("quantization.experimental.quantize_saved_model", "reads files"),
        ("print", "writes files"),
        ("py_function", "runs Python code"),
        ("numpy_function", "runs Python code"),
        ("import_graph_def", "runs Python code"),
        ("compat.v1.py_func", "runs Python code"),
        ("math", "runs Python code"),  # a namespace is not a function
    ],
)
def test_tf_op_lambda_functions_are_an_allow_list(symbol: str, effect: str | None) -> None:
    assert tf_api_effect(symbol) == effect


@pytest.mark.tf
def test_the_allow_list_names_tensorflow_functions_and_namespaces() -> None:
    import inspect

    import tensorflow as tf

    unknown = [n for n in SAFE_TOP_LEVEL if not callable(getattr(tf, n, None))]
    modules = [
        n for n in SAFE_NAMESPACES - {"__operators__"} if not inspect.ismodule(getattr(tf, n, None))
    ]
    assert (unknown, modules) == ([], [])
