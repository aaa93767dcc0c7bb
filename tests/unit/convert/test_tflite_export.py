"""The signature at the validation shape, saved once for every TFLite variant
(convert/fixed_shape.export_fixed_shape): it computes what the original computes, also when
the function captures a resource other than variables (a table)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.tf


def _table_model(path: Path) -> Path:
    import tensorflow as tf

    class WithTable(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            keys = tf.constant([1, 2, 3], tf.int64)
            values = tf.constant([10.0, 20.0, 30.0])
            init = tf.lookup.KeyValueTensorInitializer(keys, values)
            self.table = tf.lookup.StaticHashTable(init, default_value=-1.0)
            self.scale = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.int64, name="ids")])
        def serve(self, ids: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": self.table.lookup(ids) * self.scale}

    module = WithTable()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


@pytest.mark.parametrize("kind", ["variables", "table"])
def test_saved_once_at_the_validation_shape_computes_as_the_original(
    keras_model: Path, tmp_path: Path, kind: str
) -> None:
    import tensorflow as tf

    from hub_convert.convert.fixed_shape import export_fixed_shape
    from hub_convert.convert.signature import load_signature

    model = keras_model if kind == "variables" else _table_model(tmp_path / "table")
    loaded, function = load_signature(model, ["serve"], "serving_default")
    name, spec = next(iter(function.structured_input_signature[1].items()))
    shape = tuple(2 if d is None else d for d in spec.shape.as_list())
    value = np.arange(int(np.prod(shape))).reshape(shape) % 5
    value = value.astype(spec.dtype.as_numpy_dtype)

    ops = export_fixed_shape(loaded, function, {name: shape}, tmp_path / "fixed")

    assert ops is not None
    if kind == "table":
        assert "LookupTableFindV2" in ops
    exported = tf.saved_model.load(str(tmp_path / "fixed")).signatures["serving_default"]
    assert exported.structured_input_signature[1][name].shape.as_list() == list(shape)
    expected = function(**{name: tf.constant(value)})
    got = exported(**{name: tf.constant(value)})
    for key, tensor in expected.items():
        np.testing.assert_array_equal(got[key].numpy(), tensor.numpy())


def _cond_model(path: Path) -> Path:
    import tensorflow as tf

    class WithCond(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            y = tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: tf.exp(x))
            return {"y": y}

    module = WithCond()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


@pytest.mark.parametrize("kind", ["plain", "control_flow"])
def test_op_types_are_those_the_converter_sees(
    keras_model: Path, tmp_path: Path, kind: str
) -> None:
    """The op types prepare already has are reused, except when freezing would lower control
    flow: then the function is frozen as the converter's frozen-graph path does."""
    from hub_convert.convert.fixed_shape import (
        export_fixed_shape,
        fixed_shape_function,
        frozen_op_types,
    )
    from hub_convert.convert.graph_facts import read_graph_facts
    from hub_convert.convert.op_types import converted_op_types_of
    from hub_convert.convert.signature import load_signature

    model = keras_model if kind == "plain" else _cond_model(tmp_path / "cond")
    loaded, function = load_signature(model, ["serve"], "serving_default")
    specs = function.structured_input_signature[1]
    shapes = {n: tuple(1 if d is None else d for d in s.shape.as_list()) for n, s in specs.items()}
    facts = read_graph_facts(function, list(specs))
    assert facts is not None
    known = converted_op_types_of(facts.op_counts)

    ops = export_fixed_shape(loaded, function, shapes, tmp_path / "fixed", known)

    assert ops == frozen_op_types(fixed_shape_function(loaded, function, shapes))
    assert (ops == known) is (kind == "plain")


def _empty_at_the_validation_length(path: Path) -> Path:
    """spliceai's shape, cut down: a crop that leaves nothing at length 16 (which the caller
    asks for with --input-shape: by itself hub-convert now skips a length that leaves an
    output empty), then a 1-wide convolution. TensorFlow runs it (an empty output); traced at
    that fixed length, shape inference refuses the convolution ("Negative dimension size")."""
    import tensorflow as tf

    class Cropping(tf.Module):
        def __init__(self) -> None:
            self.kernel = tf.Variable(tf.ones([1, 4, 3]))

        @tf.function(input_signature=[tf.TensorSpec([1, None, 4], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            cropped = x[:, 8:-8, :]
            return {"y": tf.nn.conv1d(cropped, self.kernel, 1, "VALID")}

    module = Cropping()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


@pytest.mark.tf
def test_an_export_that_fails_costs_the_tflite_artifacts_not_the_run(tmp_path: Path) -> None:
    """The fixed-shape export is made while the original is prepared; when it cannot be made,
    the run still reports every artifact (the ONNX file converted and validated on its own),
    the TFLite variants failed with the cause, as before the export existed (corpus:
    spliceai-1, tfx-chicago-taxi), instead of stopping with exit 2."""
    from support.cli import run_cli

    model = _empty_at_the_validation_length(tmp_path / "cropping")
    out = tmp_path / "out"
    run = run_cli(
        "convert", model, "--output-dir", out, "--latency-runs", "0", "--input-shape", "x=1x16x4"
    )

    assert run.exit_code == 1, run.stderr
    report = json.loads((out / "report.json").read_text())
    statuses = {(a["target"], a["variant"]): a for a in report["artifacts"]}
    assert set(statuses) == {("tflite", v) for v in ("float32", "dynamic", "float16")} | {
        ("onnx", "float32")
    }
    tflite = statuses[("tflite", "float32")]
    assert tflite["status"] == "failed"
    assert "Negative dimension size" in tflite["reason"]
