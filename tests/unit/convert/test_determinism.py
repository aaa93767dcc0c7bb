"""Two runs of the original on the same sample: which outputs differ, by how much, and what
counts as the same (bit-identical, or below a tenth of float32's tolerance)."""

from __future__ import annotations

import numpy as np
import pytest

from hub_convert.convert.determinism import RELATIVE_NOISE, differing_outputs


def test_identical_runs_differ_nowhere() -> None:
    run = {"logits": np.linspace(-3, 3, 12, dtype=np.float32), "ids": np.arange(4)}
    assert differing_outputs(run, {k: v.copy() for k, v in run.items()}) == {}


def test_a_dropout_mask_drawn_again_is_found_with_its_largest_difference() -> None:
    hidden = np.linspace(0.5, 2.0, 8, dtype=np.float32)
    first = {"logits": hidden * np.array([1, 0, 1, 1, 0, 1, 1, 1], np.float32), "other": hidden}
    again = {"logits": hidden * np.array([1, 1, 1, 1, 0, 1, 0, 1], np.float32), "other": hidden}
    differing = differing_outputs(first, again)
    assert list(differing) == ["logits"]
    assert differing["logits"] == float(hidden[6])  # the larger of the two flipped elements


def test_noise_below_a_tenth_of_float32_tolerance_is_the_same_output() -> None:
    first = {"y": np.array([100.0, -50.0, 1.0], np.float32)}
    below = {"y": first["y"] + np.float32(100 * RELATIVE_NOISE * 0.5)}
    above = {"y": first["y"] + np.float32(100 * RELATIVE_NOISE * 2)}
    assert differing_outputs(first, below) == {}
    assert list(differing_outputs(first, above)) == ["y"]


def test_nan_in_the_same_places_is_equal_and_in_one_run_only_is_not() -> None:
    first = {"y": np.array([np.nan, 1.0, np.inf], np.float32)}
    assert differing_outputs(first, {"y": first["y"].copy()}) == {}
    moved = {"y": np.array([0.0, 1.0, np.inf], np.float32)}
    assert differing_outputs(first, moved) == {"y": None}


def test_shapes_integers_and_strings() -> None:
    first = {
        "boxes": np.zeros((3, 4), np.float32),
        "count": np.array([3, 1]),
        "label": np.array([b"cat"], dtype=object),
    }
    again = {
        "boxes": np.zeros((2, 4), np.float32),  # a different number of detections
        "count": np.array([3, 2]),
        "label": np.array([b"dog"], dtype=object),
    }
    assert differing_outputs(first, again) == {"boxes": None, "count": 1.0, "label": None}


@pytest.mark.tf
def test_a_real_model_with_nan_strings_and_complex_outputs_is_deterministic() -> None:
    """NaN twice in the same places (log of a negative), strings and complex values with a NaN
    part, from TensorFlow itself: the same outputs, not a random original."""
    import tensorflow as tf

    from hub_convert.convert.determinism import check_repeatable
    from hub_convert.convert.signature import run_reference

    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
    def serving(x: tf.Tensor) -> dict[str, tf.Tensor]:
        log = tf.math.log(x - 10.0)  # every value NaN
        return {
            "log": log,
            "label": tf.strings.as_string(x),
            "spectrum": tf.complex(log, x),
        }

    function = serving.get_concrete_function()
    samples = [{"x": np.arange(4, dtype=np.float32).reshape(1, 4)}]
    recorded = run_reference(function, samples)
    assert np.isnan(recorded[0]["log"]).all()

    assert check_repeatable(function, samples, recorded) is None
    shifted = {**recorded[0], "spectrum": recorded[0]["spectrum"] + 1j}
    assert differing_outputs(recorded[0], shifted) == {"spectrum": 1.0}
