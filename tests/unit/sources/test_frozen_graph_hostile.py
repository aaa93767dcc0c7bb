"""Hostile frozen graphs and --inputs values: each refused in one line before TensorFlow
imports the graph or a constant is allocated (a 0-byte .pb, a cycle with no sink, an input
from a missing node, a PlaceholderWithDefault without its default, a SavedModel's
saved_model.pb renamed, a Placeholder left out of --inputs, NAME=VALUE that is not finite,
true for a float tensor, a fixed tensor of billions of values).

The class: such graphs ended in a KeyError or IndexError ("preparing the model failed"), a
TensorFlow UnliftableError, a fixed value of inf that every file then drifted on, or a 10 GB
allocation before TensorFlow refused a constant over 2 GB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub_convert.errors import BadInputError, error_line
from hub_convert.sources.frozen_graph import FrozenGraphMaterializer
from hub_convert.sources.frozen_graph_checks import MAX_FIXED_ELEMENTS, fixed_number
from hub_convert.sources.frozen_graph_io import TensorRef, choose_io

pytestmark = pytest.mark.tf


def _graph(*, big_fixed: bool = False) -> Any:
    """x (float32 [1, 4]) and count (int32 [1]) Placeholders, training (bool, default False)
    and k (float32, [50000, 50000] when ``big_fixed``), all read by y."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [1, 4], name="x")
        count = v1.placeholder(tf.int32, [1], name="count")
        training = v1.placeholder_with_default(False, [], name="training")
        k = v1.placeholder(tf.float32, [50_000, 50_000] if big_fixed else [2], name="k")
        total = tf.reduce_sum(k) + tf.cast(tf.reduce_sum(count), tf.float32)
        tf.identity(x * 2.0 + total + tf.cast(training, tf.float32), name="y")
    return graph.as_graph_def()


def _edited(graph_def: Any, name: str, inputs: list[str]) -> Any:
    import tensorflow as tf

    edited = tf.compat.v1.GraphDef()
    edited.CopyFrom(graph_def)
    [node] = [n for n in edited.node if n.name == name]
    node.input[:] = inputs
    return edited


def _refused(graph_def: Any, inputs: tuple[str, ...] = (), outputs: tuple[str, ...] = ()) -> str:
    with pytest.raises(BadInputError) as refused:
        choose_io(graph_def, inputs, outputs, "m.pb")
    message = str(refused.value)
    assert "\n" not in message and refused.value.exit_code == 2
    return message


def test_malformed_graphs_are_refused_in_one_line() -> None:
    import tensorflow as tf

    assert "the GraphDef has no nodes" in _refused(tf.compat.v1.GraphDef())
    dangling = _edited(_graph(), "y", ["missing:0"])
    assert _refused(dangling) == (
        "m.pb: node y reads missing:0, which is not in the graph; the GraphDef is incomplete: "
        "pass the whole frozen graph"
    )
    no_default = _edited(_graph(), "training", [])
    assert "PlaceholderWithDefault training has no default input" in _refused(no_default)
    # a and b read each other: nothing is a sink, so there is no default output.
    cycle = tf.compat.v1.GraphDef()
    for name, op, inputs in (("x", "Placeholder", []), ("a", "AddV2", ["b", "x"])):
        cycle.node.add(name=name, op=op, input=inputs)
    cycle.node.add(name="b", op="Identity", input=["a"])
    assert "no output: every node is read by another (a cycle?)" in _refused(cycle)
    # Named outputs on a cycle: the walk ends (each node once).
    assert choose_io(cycle, ("x",), ("b",), "m.pb").inputs == (TensorRef("x"),)


def test_a_node_name_with_line_breaks_is_printed_on_one_line() -> None:
    """A GraphDef's names are any strings until TensorFlow imports it; a refusal quoting one
    must not start a workflow command on the runner's log."""
    injected = _edited(_graph(), "y", ["x\n::error::injected\r\u2028"])
    with pytest.raises(BadInputError) as refused:
        choose_io(injected, (), (), "m.pb")

    line = error_line(refused.value)
    assert line == (
        "hub-convert: error: m.pb: node y reads x ::error::injected , which is not in the "
        "graph; the GraphDef is incomplete: pass the whole frozen graph"
    )


def test_a_placeholder_left_out_of_inputs_is_named() -> None:
    message = _refused(_graph(), inputs=("x", "training=false"))
    assert message == (
        "m.pb: the outputs read count, k (Placeholder), left out of --inputs; add it to "
        "--inputs, or fix it with NAME=VALUE"
    )
    chosen = choose_io(_graph(), ("x", "count", "k=1"), (), "m.pb")
    assert chosen.inputs == (TensorRef("x"), TensorRef("count"))
    assert chosen.fixed == {TensorRef("k"): "1"}


def test_ten_thousand_placeholders_are_the_inputs_in_graph_order() -> None:
    import tensorflow as tf

    wide = tf.compat.v1.GraphDef()
    names = [f"p{i}" for i in range(10_000)]
    for name in names:
        wide.node.add(name=name, op="Placeholder").attr["dtype"].type = 1
    wide.node.add(name="s", op="AddN", input=names)

    chosen = choose_io(wide, (), (), "wide.pb")

    assert chosen.inputs == tuple(TensorRef(name) for name in names)


@pytest.mark.parametrize(
    ("value", "dtype", "shape", "message"),
    [
        ("1e999", "float32", [], "k=v: not a finite number; give one within float32's range"),
        ("-1e999", "int32", [1], "not a finite number"),
        ("true", "float32", [2], "k=v: a float32 tensor; true/false fix bool tensors"),
        ("1", "float32", [50_000, 50_000], r"shape \[50000, 50000\] \(2,500,000,000 values\)"),
        ("1", "float32", [2**31, 2**31], "a fixed value stands for a switch or a setting"),
    ],
)
def test_a_fixed_value_is_refused_before_anything_is_allocated(
    value: str, dtype: str, shape: list[int], message: str
) -> None:
    import tensorflow as tf

    with pytest.raises(BadInputError, match=message):
        fixed_number("m.pb: --inputs k=v", value, tf.as_dtype(dtype), shape)


def test_fixed_values_a_switch_takes() -> None:
    import tensorflow as tf

    assert fixed_number("l", "False", tf.bool, []) is False
    assert fixed_number("l", "1", tf.bool, []) == 1.0
    assert fixed_number("l", "0.5", tf.float32, [1, MAX_FIXED_ELEMENTS]) == 0.5


def test_the_materializer_refuses_a_renamed_saved_model_and_a_big_fixed_tensor(
    tmp_path: Path,
) -> None:
    import tensorflow as tf

    class Doubler(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
        def serve(self, x: Any) -> Any:
            return {"y": x * 2.0}

    tf.saved_model.save(Doubler(), str(tmp_path / "saved"))
    renamed = tmp_path / "model.pb"
    renamed.write_bytes((tmp_path / "saved" / "saved_model.pb").read_bytes())
    with pytest.raises(BadInputError, match=r"model\.pb: a SavedModel.s saved_model\.pb under"):
        FrozenGraphMaterializer(renamed, "model.pb")(tmp_path / "out")

    big = tmp_path / "big.pb"
    big.write_bytes(_graph(big_fixed=True).SerializeToString())
    materialize = FrozenGraphMaterializer(big, "big.pb", ("x", "count", "k=1"))
    with pytest.raises(BadInputError, match=r"big.pb: --inputs k=1: a float32 tensor of shape"):
        materialize(tmp_path / "out2")
