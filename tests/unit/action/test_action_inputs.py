"""action/inputs.py: the debug input read before the others, never refused."""

from __future__ import annotations

import pytest

from hub_convert.action.inputs import ActionInputs, debug_requested


@pytest.mark.parametrize(
    ("value", "wanted"),
    [
        ("true", True),
        (" YES ", True),
        ("on", True),
        ("1", True),
        ("false", False),
        ("", False),
        ("maybe", False),
    ],
)
def test_debug_requested(value: str, wanted: bool) -> None:
    inputs = ActionInputs({"INPUT_DEBUG": value})
    assert debug_requested(inputs) is wanted
    assert inputs.read == {"debug"}


def test_debug_not_given() -> None:
    assert debug_requested(ActionInputs({})) is False
