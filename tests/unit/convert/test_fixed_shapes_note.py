"""A TFLite file whose batch (or another open dimension) was fixed says so, with the shape."""

from __future__ import annotations

from hub_convert.convert.device.fixed_shapes import fixed_shapes_note


def test_a_fixed_batch_is_named_with_the_shape() -> None:
    note = fixed_shapes_note({"x": [None, 4, 4, 3]}, {"x": [1, 4, 4, 3]})
    assert note == "batch fixed at 1 (x: 1×4×4×3)"


def test_open_spatial_dimensions_fixed_too() -> None:
    note = fixed_shapes_note({"x": [None, None, None, 3]}, {"x": [1, 224, 224, 3]})
    assert note == "batch fixed at 1 and dynamic dimensions fixed (x: 1×224×224×3)"


def test_nothing_fixed_says_nothing() -> None:
    assert fixed_shapes_note({"x": [1, 4]}, {"x": [1, 4]}) is None
    assert fixed_shapes_note({"x": [None, 4]}, {"x": [None, 4]}) is None


def test_a_sparse_inputs_values_are_not_called_a_batch() -> None:
    original = {"sp": [None, 2], "sp_1": [None], "sp_2": [2], "x": [None, 5]}
    in_file = {"sp": [3, 2], "sp_1": [3], "sp_2": [2], "x": [1, 5]}
    note = fixed_shapes_note(original, in_file, [("sp", ["sp", "sp_1", "sp_2"])])
    assert note == ("batch fixed at 1 and number of values fixed (sp 3) (sp: 3×2; sp_1: 3; x: 1×5)")
