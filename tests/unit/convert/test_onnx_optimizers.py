"""hub-convert runs tf2onnx's own ONNX optimizers, only with a garbage collection before each."""

from __future__ import annotations

import gc

import pytest

pytestmark = pytest.mark.tf


def test_the_optimizers_are_tf2onnxs_in_its_order() -> None:
    from tf2onnx import optimizer

    from hub_convert.convert.targets.tf2onnx_conversion import collecting_optimizers

    theirs = optimizer._get_optimizers()
    ours = collecting_optimizers()
    assert list(ours) == list(theirs)
    assert len(ours) >= 10
    for name, make in ours.items():
        assert type(make()) is theirs[name], name


def test_each_optimizer_starts_after_a_full_collection() -> None:
    """A graph copy in a reference cycle (as tf2onnx's deep copies are) is gone once the next
    optimizer is made, whatever the collector's thresholds."""
    import weakref

    from hub_convert.convert.targets.tf2onnx_conversion import collecting_optimizers

    class Copy:
        pass

    make = next(iter(collecting_optimizers().values()))
    thresholds = gc.get_threshold()
    gc.disable()
    try:
        copy = Copy()
        copy.self = copy  # type: ignore[attr-defined]
        alive = weakref.ref(copy)
        del copy
        assert alive() is not None  # only a collection frees a cycle
        make()
        assert alive() is None
    finally:
        gc.enable()
        gc.set_threshold(*thresholds)
