"""The pieces of the resource bounds and one-line errors, without TensorFlow."""

from __future__ import annotations

import pytest

from hub_convert import memory_limit
from hub_convert.convert.specs import StagedArtifact
from hub_convert.convert.tf_errors import describe_failure, one_line
from hub_convert.convert.worker import _with_memory_hint
from hub_convert.parsing import parse_size
from hub_convert.report import Artifact, Tolerance


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
    item = _with_memory_hint(StagedArtifact(artifact=artifact, staged=None, file_name="m.tflite"))
    assert item.artifact.reason is not None
    assert item.artifact.reason.startswith("the conversion ran out of memory")
    assert item.artifact.reason.endswith("MemoryError: Unable to allocate 16.0 GiB")
