"""The dynamic and float16 TFLite files derived from the float32 file by ai-edge-quantizer, on
flatbuffers written here with LiteRT's own schema (one FULLY_CONNECTED or GATHER op each), so
no TensorFlow conversion is needed: the real quantizer, the real LiteRT interpreter."""

from __future__ import annotations

from pathlib import Path

import flatbuffers  # type: ignore[import-untyped]
import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.interpreter import Interpreter

from hub_convert.convert.specs import ConversionJob
from hub_convert.convert.targets import Candidate
from hub_convert.convert.targets.tflite_derive import derived_candidate, weights_left_in_float
from hub_convert.convert.targets.tflite_file import constant_tensor_types
from hub_convert.policy.tolerances import DEFAULT_TOLERANCES
from hub_convert.report.artifact import OpCoverage


def _tensor(name: str, shape: tuple[int, ...], buffer: int, kind: int) -> schema.TensorT:
    tensor = schema.TensorT()
    tensor.name, tensor.shape, tensor.buffer, tensor.type = name, list(shape), buffer, kind
    return tensor


def _tensor_map(name: str, index: int) -> schema.TensorMapT:
    mapping = schema.TensorMapT()
    mapping.name, mapping.tensorIndex = name, index
    return mapping


def _one_op_model(
    op: str, weight_shape: tuple[int, int], x: schema.TensorT, y_shape: tuple[int, ...]
) -> bytes:
    """A .tflite file of one ``op`` (FULLY_CONNECTED or GATHER) over a random float32 weight."""
    model = schema.ModelT()
    model.version = 3
    code = schema.OperatorCodeT()
    code.builtinCode = getattr(schema.BuiltinOperator, op)
    code.deprecatedBuiltinCode = min(code.builtinCode, 127)
    code.version = 1
    model.operatorCodes = [code]
    weight = schema.BufferT()
    values = np.random.default_rng(0).normal(size=weight_shape).astype(np.float32)
    weight.data = np.frombuffer(values.tobytes(), np.uint8)
    model.buffers = [schema.BufferT(), weight, schema.BufferT(), schema.BufferT()]
    subgraph = schema.SubGraphT()
    y = _tensor("y", y_shape, 3, schema.TensorType.FLOAT32)
    subgraph.tensors = [x, _tensor("w", weight_shape, 1, schema.TensorType.FLOAT32), y]
    operator = schema.OperatorT()
    operator.opcodeIndex = 0
    operator.outputs = [2]
    if op == "GATHER":
        operator.inputs = [1, 0]
        operator.builtinOptionsType = schema.BuiltinOptions.GatherOptions
        operator.builtinOptions = schema.GatherOptionsT()
    else:
        operator.inputs = [0, 1, -1]
        operator.builtinOptionsType = schema.BuiltinOptions.FullyConnectedOptions
        operator.builtinOptions = schema.FullyConnectedOptionsT()
    subgraph.operators, subgraph.inputs, subgraph.outputs = [operator], [0], [2]
    model.subgraphs = [subgraph]
    signature = schema.SignatureDefT()
    signature.signatureKey, signature.subgraphIndex = "serving_default", 0
    signature.inputs = [_tensor_map("x", 0)]
    signature.outputs = [_tensor_map("y", 2)]
    model.signatureDefs = [signature]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _dense() -> bytes:
    """x (1, 32) → FULLY_CONNECTED with a 64×32 weight → y (1, 64)."""
    x = _tensor("x", (1, 32), 2, schema.TensorType.FLOAT32)
    return _one_op_model("FULLY_CONNECTED", (64, 32), x, (1, 64))


def _embedding() -> bytes:
    """ids (3,) → GATHER from a 100×32 table → y (3, 32): a text model's embedding."""
    x = _tensor("x", (3,), 2, schema.TensorType.INT32)
    return _one_op_model("GATHER", (100, 32), x, (3, 32))


def _job(tmp_path: Path, variant: str) -> ConversionJob:
    return ConversionJob(
        target="tflite",
        variant=variant,  # type: ignore[arg-type]
        saved_model_dir=tmp_path,
        tags=["serve"],
        signature="serving_default",
        shapes={"x": (1, 32)},
        file_name=f"model_{variant}.tflite",
        staging_dir=tmp_path,
        samples_path=tmp_path / "samples.npz",
        tolerance=DEFAULT_TOLERANCES[("tflite", variant)],
        opset=17,
        allow_flex=True,
        log_path=None,
    )


def _float32(tmp_path: Path, model: bytes, flex: list[str] | None = None) -> Candidate:
    staged = tmp_path / "model_float32.tflite"
    staged.write_bytes(model)
    coverage = OpCoverage(converted_ops=["MatMul"], flex_ops=flex or [])
    return Candidate(_job(tmp_path, "float32"), staged, coverage, 1.0, made_by="TFLiteConverter")


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    runner = Interpreter(model_path=str(path)).get_signature_runner("serving_default")
    return np.asarray(runner(x=x)["y"])


@pytest.mark.parametrize(("variant", "weight_type"), [("dynamic", "INT8"), ("float16", "FLOAT16")])
def test_derived_files_hold_their_weight_type_and_compute_as_the_float32_file(
    tmp_path: Path, variant: str, weight_type: str
) -> None:
    float32 = _float32(tmp_path, _dense())
    derived = derived_candidate(_job(tmp_path, variant), float32)
    assert isinstance(derived, Candidate), derived
    assert derived.made_by == "ai-edge-quantizer"
    assert derived.staged == tmp_path / f"model_{variant}.tflite"
    assert weight_type in constant_tensor_types(derived.staged)
    assert derived.weight_types == constant_tensor_types(derived.staged)
    assert derived.coverage.output_op_counts["FULLY_CONNECTED"] == 1
    assert derived.notes == []  # the variant's promised weight type is there
    assert derived.staged.stat().st_size < float32.staged.stat().st_size  # type: ignore[union-attr]
    x = np.random.default_rng(1).normal(size=(1, 32)).astype(np.float32)
    expected, got = _run(float32.staged, x), _run(derived.staged, x)  # type: ignore[arg-type]
    cosine = float(np.dot(expected.ravel(), got.ravel()))
    cosine /= float(np.linalg.norm(expected) * np.linalg.norm(got))
    assert cosine > 0.999
    assert not np.array_equal(expected, got)  # quantized, not a copy


def test_a_weight_the_recipes_leave_in_float_keeps_tensorflows_converter(tmp_path: Path) -> None:
    """TensorFlow quantizes an embedding table read by GATHER; ai-edge-quantizer would leave it
    in float32 (a real LSTM text model's dynamic file came out 45 % larger): not derived."""
    assert weights_left_in_float(_embedding()) == ["GATHER"]
    assert weights_left_in_float(_dense()) == []
    assert derived_candidate(_job(tmp_path, "dynamic"), _float32(tmp_path, _embedding())) is None


def test_not_derived_without_a_runnable_float32_file(tmp_path: Path) -> None:
    assert derived_candidate(_job(tmp_path, "dynamic"), None) is None
    flex = _float32(tmp_path, _dense(), flex=["Lgamma"])
    assert derived_candidate(_job(tmp_path, "float16"), flex) is None
    assert derived_candidate(_job(tmp_path, "int8"), _float32(tmp_path, _dense())) is None


def test_a_failed_derivation_is_an_attempt_and_leaves_no_file(tmp_path: Path) -> None:
    """What the quantizer cannot read becomes the attempt TensorFlow's conversion follows."""
    float32 = _float32(tmp_path, _dense()[:200])  # cut short: not a flatbuffer any more
    attempt = derived_candidate(_job(tmp_path, "dynamic"), float32)
    assert isinstance(attempt, str)
    assert attempt.startswith("ai-edge-quantizer, from the float32 file: ")
    assert not (tmp_path / "model_dynamic.tflite").exists()
