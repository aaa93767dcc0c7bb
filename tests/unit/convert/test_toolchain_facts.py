"""Smallest reproductions of toolchain behaviour hub-convert works around.

If one of these starts failing after an upgrade, the workaround it justifies can be revisited.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.tf


def _bare_tf2onnx(saved_model: Path) -> Any:
    """tf2onnx exactly as ``python -m tf2onnx.convert --saved-model DIR --opset 17`` runs it."""
    from tf2onnx import tf_loader
    from tf2onnx.convert import _convert_common

    graph_def, inputs, outputs, tables, renames = tf_loader.from_saved_model(
        str(saved_model),
        None,
        None,
        ["serve"],
        ["serving_default"],
        None,
        False,
        return_initialized_tables=True,
        return_tensors_to_rename=True,
    )
    model, _ = _convert_common(
        graph_def,
        name=str(saved_model),
        opset=17,
        input_names=inputs,
        output_names=outputs,
        tensors_to_rename=renames,
        initialized_tables=tables,
    )
    return model


def test_tflite_lgamma_with_dynamic_batch_converts_to_a_model_that_returns_nothing(
    lgamma_model: Path,
) -> None:
    """TF 2.21: with a dynamic batch the converter "succeeds" but the output is empty.

    hub-convert therefore converts with the validation shape fixed (convert/targets/tflite.py).
    """
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    model = tf.lite.TFLiteConverter.from_saved_model(str(lgamma_model)).convert()
    runner = Interpreter(model_content=model).get_signature_runner("serving_default")
    out = runner(x=np.ones((1, 4), np.float32))["y"]
    assert out.shape == (0, 4)


def test_tf2onnx_logs_unsupported_ops_and_still_returns_a_model(lgamma_model: Path) -> None:
    """tf2onnx 1.17 leaves the TF op in the graph; only the log and onnx.checker tell."""
    import onnx

    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect()
    logging.getLogger("tf2onnx").addHandler(handler)
    try:
        model = _bare_tf2onnx(lgamma_model)
    finally:
        logging.getLogger("tf2onnx").removeHandler(handler)
    assert "Lgamma" in [node.op_type for node in model.graph.node]
    assert any(
        r.msg == "Tensorflow op [%s: %s] is not supported" and r.args[1] == "Lgamma"  # type: ignore[index]
        for r in records
    )
    with pytest.raises(onnx.checker.ValidationError, match="Lgamma"):
        onnx.checker.check_model(model, full_check=True)


def test_tf2onnx_names_mixed_case_inputs_in_lower_case(mixed_case_model: Path) -> None:
    """TF lower-cases the placeholder of a signature key like "Feat_In"; tf2onnx names the
    ONNX input after it. hub-convert restores the signature's name
    (convert/targets/onnx_names.py)."""
    model = _bare_tf2onnx(mixed_case_model)
    assert [i.name for i in model.graph.input] == ["feat_in"]
    assert [o.name for o in model.graph.output] == ["Out_Y"]


def test_tflite_from_a_concrete_function_is_the_file_from_its_saved_model(
    keras_model: Path, tmp_path: Path
) -> None:
    """TFLiteConverter.from_concrete_functions saves the function with its object as a
    SavedModel and converts that, on every convert(). hub-convert saves it once
    (fixed_shape.export_fixed_shape) and converts every variant from it: the files are
    the same but for the conversion metadata's model type (concrete function vs SavedModel).
    """
    import tensorflow as tf

    from hub_convert.convert.fixed_shape import export_fixed_shape, fixed_shape_function
    from hub_convert.convert.signature import load_signature
    from hub_convert.convert.targets.tflite_variants import configure

    loaded, function = load_signature(keras_model, ["serve"], "serving_default")
    shapes = {
        name: tuple(1 if d is None else d for d in spec.shape.as_list())
        for name, spec in function.structured_input_signature[1].items()
    }
    assert export_fixed_shape(loaded, function, shapes, tmp_path / "fixed")
    for variant in ("float32", "dynamic", "float16"):
        concrete = fixed_shape_function(loaded, function, shapes)
        converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], loaded)
        configure(converter, variant, False, None, False)
        expected = converter.convert()
        converter = tf.lite.TFLiteConverter.from_saved_model(
            str(tmp_path / "fixed"), signature_keys=["serving_default"], tags={"serve"}
        )
        configure(converter, variant, False, None, False)
        exported = converter.convert()
        differing = [i for i, (a, b) in enumerate(zip(expected, exported, strict=True)) if a != b]
        assert len(differing) == 1, variant  # the model type in CONVERSION_METADATA
        assert {expected[differing[0]], exported[differing[0]]} == {3, 1}, variant


def _fixed_shape_export(saved_model: Path, directory: Path) -> dict[str, tuple[int, ...]]:
    """The signature at batch 1, saved as prepare saves it; its input shapes."""
    from hub_convert.convert.fixed_shape import export_fixed_shape
    from hub_convert.convert.signature import load_signature

    loaded, function = load_signature(saved_model, ["serve"], "serving_default")
    shapes = {
        name: tuple(1 if d is None else d for d in spec.shape.as_list())
        for name, spec in function.structured_input_signature[1].items()
    }
    assert export_fixed_shape(loaded, function, shapes, directory)
    return shapes


@pytest.mark.parametrize(
    ("model", "variant", "select_tf_ops"),
    [
        ("keras_model", "float32", False),
        ("keras_model", "dynamic", False),
        ("keras_model", "float16", False),
        ("keras_model", "int8", False),
        ("determinant_model", "float32", True),
        ("determinant_model", "dynamic", True),
    ],
)
def test_tflite_converter_without_python_loads_writes_from_saved_models_bytes(
    model: str, variant: str, select_tf_ops: bool, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """targets/tflite_saved_model.converter_for skips from_saved_model's two
    tf.saved_model.load calls (2-3 s of a MobileNetV2 conversion) and reads the GraphDef and
    debug info from the protobufs instead. The file must be the one from_saved_model writes,
    byte for byte: float, quantized, calibrated and Flex conversions alike."""
    import tensorflow as tf

    from hub_convert.convert.targets.tflite_saved_model import converter_for
    from hub_convert.convert.targets.tflite_variants import configure

    shapes = _fixed_shape_export(request.getfixturevalue(model), tmp_path / "fixed")
    rng = np.random.default_rng(0)

    def configured(converter: Any) -> Any:
        configure(
            converter, variant if variant != "int8" else "float32", select_tf_ops, None, False
        )
        if variant == "int8":  # calibrated, as configure does from a samples file
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda: (
                {name: rng.random(shape, dtype=np.float32) for name, shape in shapes.items()}
                for _ in range(4)
            )
        return converter

    expected = configured(
        tf.lite.TFLiteConverter.from_saved_model(
            str(tmp_path / "fixed"), signature_keys=["serving_default"], tags={"serve"}
        )
    ).convert()
    rng = np.random.default_rng(0)  # the same calibration samples
    written = configured(converter_for(tmp_path / "fixed", "serving_default", {"serve"})).convert()
    assert written[4:8] == b"TFL3"  # a flatbuffer, not an error
    assert written == expected
