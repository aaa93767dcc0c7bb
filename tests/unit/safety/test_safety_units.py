"""The pieces of the resource bounds and one-line errors, without TensorFlow."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from hub_convert.convert.specs import StagedArtifact
from hub_convert.convert.tasks import with_memory_hint
from hub_convert.convert.tf_errors import describe_failure, one_line
from hub_convert.errors import BadInputError
from hub_convert.parsing import parse_size
from hub_convert.report.artifact import Artifact, Tolerance
from hub_convert.safety.safe_read import gunzip, json_depth, parse_json, read_zip_member
from hub_convert.workers import memory_limit


@pytest.mark.parametrize(
    ("text", "size"),
    [("8G", 8 << 30), ("8GiB", 8 << 30), ("512m", 512 << 20), ("1.5G", 3 << 29), ("0", 0)],
)
def test_sizes_people_write(text: str, size: int) -> None:
    assert parse_size(text, "--max-memory") == size


def test_default_memory_limit_shares_the_machine_among_workers() -> None:
    one, four = memory_limit.default_limit(1), memory_limit.default_limit(4)
    assert one is not None and four is not None
    assert four == max(memory_limit.MINIMUM, one // 4)


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[\\"[["}]}') == 3
    assert json_depth(b"7") == 0


def test_deep_json_is_refused_without_recursion() -> None:
    with pytest.raises(BadInputError, match="nested 5000 levels deep"):
        parse_json(b"[" * 5000 + b"]" * 5000, "x.json")


def test_gunzip_is_bounded_and_reads_every_member() -> None:
    assert gunzip(gzip.compress(b"ab") + gzip.compress(b"cd"), 10, "x") == b"abcd"
    with pytest.raises(BadInputError, match="larger than"):
        gunzip(gzip.compress(b"\0" * 100_000), 1000, "x")
    with pytest.raises(BadInputError, match="corrupt"):
        gunzip(gzip.compress(b"abc")[:-6], 1000, "x")


def test_zip_member_is_bounded_whatever_its_header_says(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("config.json", b" " * 100_000)
    with zipfile.ZipFile(path) as bundle, pytest.raises(BadInputError, match=r"config\.json"):
        read_zip_member(bundle, "config.json", 1000, "a.zip")


GRAPH_ERROR = """Graph execution error:

Detected at node assert/Assert defined at (most recent call last):
<stack traces unavailable>
assertion failed: [x must be positive]
\t [[{{node assert/Assert}}]] [Op:__inference_signature_wrapper_61]"""


class InvalidArgumentError(Exception):
    pass


class ResourceExhaustedError(Exception):
    pass


def test_tensorflow_errors_in_one_line() -> None:
    assert one_line(InvalidArgumentError(GRAPH_ERROR)) == (
        "InvalidArgumentError: assertion failed: [x must be positive] (node assert/Assert)"
    )
    memory = describe_failure("running", ResourceExhaustedError("OOM when allocating tensor"))
    assert "ran out of memory" in memory


def test_a_conversion_out_of_memory_names_the_option() -> None:
    artifact = Artifact(
        target="tflite",
        variant="float32",
        status="failed",
        reason="MemoryError: Unable to allocate 16.0 GiB",
        tolerance=Tolerance(),
    )
    item = with_memory_hint(StagedArtifact(artifact=artifact, staged=None, file_name="m.tflite"))
    assert item.artifact.reason is not None
    assert item.artifact.reason.startswith("the conversion ran out of memory")
    assert item.artifact.reason.endswith("MemoryError: Unable to allocate 16.0 GiB")


def test_a_converter_memory_error_without_a_message_is_named() -> None:
    """Under --max-memory the TFLite converter raised a bare MemoryError() on the 1 GiB model
    (float32 within 5 GiB); its empty message once became "TFLiteConverter returned no
    model", which hid the cause and the option that fixes it."""
    from hub_convert.convert.targets.tflite import convert_with

    def converter_out_of_memory() -> None:
        raise MemoryError()

    conversion = convert_with(
        converter_out_of_memory, "the export", ["MatMul"], "float32", 1 << 30, True, None, False
    )
    assert conversion.model is None
    assert conversion.error == "MemoryError"
    artifact = Artifact(
        target="tflite",
        variant="float32",
        status="failed",
        reason=conversion.error,
        tolerance=Tolerance(),
    )
    item = with_memory_hint(StagedArtifact(artifact=artifact, staged=None, file_name="m.tflite"))
    assert item.artifact.reason is not None
    assert item.artifact.reason.startswith("the conversion ran out of memory")
