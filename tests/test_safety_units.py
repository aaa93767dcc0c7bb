"""The pieces of the resource bounds, without TensorFlow."""

from __future__ import annotations

import pytest

from hub_convert import memory_limit
from hub_convert.parsing import parse_size


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
