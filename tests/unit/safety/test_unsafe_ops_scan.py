"""The unsafe-op scan without TensorFlow: TF.js graphs and Keras configs are refused in the
main process, before any worker starts; the saver rules hold on synthetic graphs."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from hub_convert.report.source_info import UnsafeOp
from hub_convert.safety.graph_scan import Graph, GraphFunction, json_graph, scan_graph
from hub_convert.sources.keras_config import unsafe_layers
from support import unsafe_ops_fixtures as fx
from support.adversarial import assert_one_line_error, earlier_outputs, snapshot
from support.cli import run_cli
from support.tfjs_writer import write_tiny_graph_model


def _refused(model: Path, tmp_path: Path, *needles: str) -> None:
    canary = tmp_path / "canary"
    out = tmp_path / "out"
    before = earlier_outputs(out)

    run = run_cli("convert", model, "--output-dir", out)

    assert_one_line_error(run, 2, *needles, "refused", "--allow-unsafe-ops")
    assert not canary.exists()
    assert snapshot(out) == before
    assert "inspecting" not in run.stderr, "no worker may start"


def test_tfjs_graph_with_write_file_is_refused(tmp_path: Path) -> None:
    model_json = write_tiny_graph_model(tmp_path / "web")
    fx.add_write_file_node(model_json, tmp_path / "canary")
    _refused(model_json, tmp_path, 'graph op WriteFile at node "leak" writes files')


def test_tfjs_write_file_inside_a_library_function_is_refused(tmp_path: Path) -> None:
    model_json = write_tiny_graph_model(tmp_path / "web")
    fx.add_write_file_function(model_json, tmp_path / "canary")
    _refused(model_json, tmp_path, 'WriteFile at node "inner" (in function sneaky_fn)')


@pytest.mark.parametrize(
    ("node", "finding"),
    [
        (fx.print_to("file:///tmp/leak"), ("PrintV2", "writes files")),
        (fx.print_to("stderr"), None),
        (fx.decode_proto("/etc/descriptors.bin"), ("DecodeProtoV2", "reads files")),
        (fx.decode_proto("local://"), None),
    ],
)
def test_attribute_decides_for_print_and_proto_ops(
    node: dict[str, Any], finding: tuple[str, str] | None, tmp_path: Path
) -> None:
    import json

    model_json = write_tiny_graph_model(tmp_path / "web")
    fx.add_node(model_json, node)
    topology = json.loads(model_json.read_text())["modelTopology"]

    found = [(f.op, f.effect) for f in scan_graph(json_graph(topology), "tfjs")]

    assert found == ([finding] if finding else [])


@pytest.mark.parametrize(
    ("layer", "needle"),
    [
        (
            fx.layer("TFOpLambda", "leak", function="io.write_file"),
            'Keras layer "leak" (TFOpLambda(tf.io.write_file)) reads files',
        ),
        (
            fx.layer("TFOpLambda", "python", function="py_function"),
            "(TFOpLambda(tf.py_function)) runs Python code",
        ),
        (
            fx.layer("TFSMLayer", "outside", filepath="/models/other"),
            'Keras layer "outside" (TFSMLayer) runs a graph this scan cannot see',
        ),
        (
            fx.layer("StringLookup", "words", vocabulary="/etc/passwd"),
            "(StringLookup(vocabulary file)) reads files",
        ),
    ],
)
def test_keras_layers_that_reach_files_are_refused(
    layer: dict[str, Any], needle: str, tmp_path: Path
) -> None:
    config = fx.functional(fx.layer("InputLayer", "input"), layer)
    _refused(fx.h5_file(tmp_path / "model.h5", config), tmp_path, needle)


def test_keras_3_file_with_tfsm_layer_is_refused(tmp_path: Path) -> None:
    config = fx.functional(fx.layer("TFSMLayer", "outside", filepath="/models/other"))
    _refused(fx.keras_file(tmp_path / "model.keras", config), tmp_path, "TFSMLayer")


def test_torch_module_wrapper_needs_allow_unsafe(tmp_path: Path) -> None:
    config = fx.functional(fx.layer("TorchModuleWrapper", "torch", module="gASV..."))
    run = run_cli("convert", fx.keras_file(tmp_path / "m.keras", config), "--output-dir", tmp_path)
    assert_one_line_error(run, 2, "TorchModuleWrapper", "unpickles", "--allow-unsafe")


def test_ordinary_keras_layers_are_not_findings() -> None:
    config = fx.functional(
        fx.layer("Dense", "dense", activation="relu"),
        fx.layer("TFOpLambda", "add", function="math.add"),
        fx.layer("SlicingOpLambda", "slice", function="__operators__.getitem"),
        fx.layer("StringLookup", "inline", vocabulary=["a", "b"]),
    )
    assert unsafe_layers(config) == []


# --- the SavedModel's own saver ------------------------------------------------------------


def _ops(graph: Graph) -> list[tuple[str, str, str | None]]:
    return [(f.op, f.node, f.function) for f in scan_graph(graph, "saved_model")]


def test_the_savers_own_ops_are_not_findings() -> None:
    assert _ops(fx.tf2_graph()) == []


def test_an_op_hidden_in_the_restore_function_is_found() -> None:
    hidden = fx.node("leak", "WriteFile", "prefix_const", "prefix_const")
    assert _ops(fx.tf2_graph(restore_extra=(hidden,))) == [
        ("WriteFile", "leak", "__inference__traced_restore_10")
    ]


def test_a_signature_calling_the_save_function_makes_its_ops_findings() -> None:
    calls_save = fx.node("save_again", "PartitionedCall", calls=("__inference__traced_save_9",))
    assert _ops(fx.tf2_graph(serve_extra=(calls_save,))) == [
        ("SaveV2", "SaveV2", "__inference__traced_save_9"),
        ("MergeV2Checkpoints", "MergeV2Checkpoints", "__inference__traced_save_9"),
    ]


def test_a_loader_entry_to_the_restore_function_makes_its_ops_findings() -> None:
    entries = frozenset({"serve_fn", "__inference__traced_restore_10"})
    assert _ops(fx.tf2_graph(entry_functions=entries)) == [
        ("RestoreV2", "RestoreV2", "__inference__traced_restore_10")
    ]


def test_restore_reading_another_file_is_a_finding() -> None:
    assert _ops(fx.tf2_graph(restore_prefix="prefix_const")) == [
        ("RestoreV2", "RestoreV2", "__inference__traced_restore_10")
    ]


def test_save_ops_reached_from_the_restore_op_are_findings() -> None:
    # saver_def's restore_op_name names the save call: loaders would run SaveV2 at load.
    # (The real restore function is then called by nothing a loader runs: no finding.)
    assert _ops(fx.tf2_graph(restore_op="save_call")) == [
        ("SaveV2", "SaveV2", "__inference__traced_save_9"),
        ("MergeV2Checkpoints", "MergeV2Checkpoints", "__inference__traced_save_9"),
    ]


def test_ops_that_no_loader_can_run_are_not_findings() -> None:
    # A TF1 export that adds a second MetaGraph keeps the first one's saver in its graph,
    # dead; library functions that nothing calls never run either.
    live = fx.tf2_graph()
    dead_node = fx.node("old/SaveV2", "SaveV2", "old/Const")
    dead_function = GraphFunction("unused", ("path",), (fx.node("w", "WriteFile", "path"),))
    graph = dataclasses.replace(
        live,
        nodes=(*live.nodes, dead_node, fx.node("old/Const", "Const")),
        functions=(*live.functions, dead_function),
    )
    assert _ops(graph) == []
    # Once something a loader runs reaches them, they count.
    reached = dataclasses.replace(
        graph, named_nodes=graph.named_nodes | {"old/SaveV2"}, entry_functions=frozenset({"unused"})
    )
    assert _ops(reached) == [("SaveV2", "old/SaveV2", None), ("WriteFile", "w", "unused")]


def test_checkpoint_ops_without_a_saver_are_findings() -> None:
    graph = Graph(nodes=(fx.node("restore", "RestoreV2", "path"), fx.node("path", "Const")))
    assert _ops(graph) == [("RestoreV2", "restore", None)]


def test_vocabulary_from_the_models_assets_is_not_a_finding() -> None:
    init = GraphFunction(
        "init_fn",
        ("asset_path", "table"),
        (fx.node("init", "InitializeTableFromTextFileV2", "table", "asset_path"),),
    )
    own = Graph(nodes=(), functions=(init,), asset_args={"init_fn": frozenset({"asset_path"})})
    other = Graph(nodes=(), functions=(init,))

    assert _ops(own) == []
    assert _ops(other) == [("InitializeTableFromTextFileV2", "init", "init_fn")]


def test_refusal_names_the_first_finding_and_counts_the_rest() -> None:
    from hub_convert.safety.unsafe_ops import refusal

    findings = [
        UnsafeOp(op="WriteFile", node="w", function="f", effect="writes files", found_in="tfjs"),
        UnsafeOp(op="ReadFile", node="r", effect="reads files", found_in="tfjs"),
    ]
    assert str(refusal("model/", findings)) == (
        'model/: graph op WriteFile at node "w" (in function f) writes files (and 1 more); '
        "refused — pass --allow-unsafe-ops if you trust this model"
    )
