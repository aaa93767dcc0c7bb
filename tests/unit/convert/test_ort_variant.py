"""The ``ort`` ONNX variant, with the real onnx and onnxruntime (no TensorFlow): ONNX Runtime's
own converter writes the .ort file, onnxruntime runs it like the float32 file, and a corrupt or
hostile .ort is a ``failed`` artifact with a one-line reason, never a traceback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hub_convert.convert.samples import Samples
from hub_convert.convert.specs import ConversionJob
from hub_convert.convert.targets import Candidate
from hub_convert.convert.targets import onnx as onnx_target
from hub_convert.convert.targets.onnx_ort import (
    FILE_IDENTIFIER,
    ort_operator_counts,
    write_ort,
)
from hub_convert.convert.targets.onnx_variants import derive
from hub_convert.convert.validate import validate
from hub_convert.policy.tolerances import DEFAULT_TOLERANCES
from hub_convert.report.artifact import OpCoverage
from hub_convert.run.conversions import file_name

FLOAT32 = DEFAULT_TOLERANCES[("onnx", "float32")]


def _float32_onnx(path: Path) -> Path:
    """A small conv net with an open batch, at an IR version this onnxruntime reads."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)
    weights = numpy_helper.from_array(rng.normal(size=(8, 3, 3, 3)).astype(np.float32), "w")
    bias = numpy_helper.from_array(rng.normal(size=8).astype(np.float32), "b")
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 8, 1, 1])],
        [weights, bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    path.write_bytes(model.SerializeToString())
    onnx.checker.check_model(str(path))
    return path


def _job(tmp_path: Path, name: str) -> ConversionJob:
    return ConversionJob(
        target="onnx",
        variant="ort",
        saved_model_dir=tmp_path,
        tags=[],
        signature="serving_default",
        shapes={"x": (1, 3, 16, 16)},
        file_name=name,
        staging_dir=tmp_path,
        samples_path=tmp_path / "samples.npz",
        tolerance=DEFAULT_TOLERANCES[("onnx", "ort")],
        opset=13,
        allow_flex=False,
        log_path=None,
    )


def _samples(float32: Path) -> Samples:
    inputs = [{"x": np.random.default_rng(11).normal(size=(1, 3, 16, 16)).astype(np.float32)}]
    run = onnx_target.load(float32)
    inputs += [{"x": inputs[0]["x"] * 2}]
    return Samples(["x"], ["y"], inputs, [run(sample) for sample in inputs])


def test_the_ort_file_runs_like_the_float32_file_it_was_made_from(tmp_path: Path) -> None:
    float32 = _float32_onnx(tmp_path / "tf2onnx_float32.onnx")
    target = tmp_path / "net.ort"

    derive(float32, "ort", target, float16_io=False)

    data = target.read_bytes()
    assert data[4:8] == FILE_IDENTIFIER
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.ort", "tf2onnx_float32.onnx"]
    assert ort_operator_counts(target) == {"Conv": 1, "GlobalAveragePool": 1, "Relu": 1}
    job = _job(tmp_path, "net.ort")
    staged = validate(Candidate(job, target, OpCoverage(), 0.1), _samples(float32))
    assert staged.artifact.status == "passed", staged.artifact.reason
    assert [d.output for d in staged.artifact.drift] == ["y"]
    assert staged.artifact.drift[0].max_abs is not None
    assert staged.artifact.tolerance == FLOAT32


def _corrupt_files(tmp_path: Path) -> dict[str, bytes]:
    float32 = _float32_onnx(tmp_path / "source.onnx")
    write_ort(float32, tmp_path / "good.ort")
    good = (tmp_path / "good.ort").read_bytes()
    return {
        "empty": b"",
        "random bytes": np.random.default_rng(5).bytes(4096),
        "identifier only": b"\x08\x00\x00\x00" + FILE_IDENTIFIER + b"\xff" * 64,
        "truncated": good[: len(good) // 3],
        "offsets out of range": good[:8] + b"\xff\xff\xff\x7f" * 8 + good[40:],
        "an onnx file named .ort": float32.read_bytes(),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "empty",
        "random bytes",
        "identifier only",
        "truncated",
        "offsets out of range",
        "an onnx file named .ort",
    ],
)
def test_a_corrupt_ort_file_fails_with_one_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "hostile.ort"
    path.write_bytes(_corrupt_files(tmp_path)[kind])
    samples = _samples(tmp_path / "source.onnx")

    staged = validate(Candidate(_job(tmp_path, path.name), path, OpCoverage(), 0.1), samples)

    artifact = staged.artifact
    assert artifact.status == "failed", kind
    assert artifact.reason and "\n" not in artifact.reason
    assert artifact.reason.startswith("onnxruntime could not load the file: ")
    assert "Traceback" not in artifact.reason
    assert staged.staged is None


def test_reading_ops_from_a_file_that_is_not_ort_says_so(tmp_path: Path) -> None:
    path = _float32_onnx(tmp_path / "m.onnx")

    with pytest.raises(ValueError, match="not an ONNX Runtime format file"):
        ort_operator_counts(path)


def test_the_ort_file_is_named_after_the_model_with_its_own_extension() -> None:
    assert file_name("mobilenet", "onnx", "ort") == "mobilenet.ort"
    assert file_name("mobilenet", "onnx", "float16") == "mobilenet_float16.onnx"
