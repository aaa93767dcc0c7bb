"""Verdicts that hold both ways, on the comparison itself (numpy only, no TensorFlow):
a `passed` means every output was compared and matched; a `drift` means a real difference.
Each case is one that real published models produced (see corpus/RESULTS.md)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from hub_convert.convert.drift import compare_output
from hub_convert.convert.validate import status_from_drift
from hub_convert.policy.tolerances import DEFAULT_TOLERANCES
from hub_convert.report.artifact import Tolerance
from hub_convert.report.render import within

FLOAT32 = DEFAULT_TOLERANCES[("tflite", "float32")]
FLOAT16 = DEFAULT_TOLERANCES[("tflite", "float16")]
INT8 = DEFAULT_TOLERANCES[("tflite", "int8")]


def _rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_float32_rounding_on_large_outputs_is_not_drift() -> None:
    # A face-mesh output with values up to 162 differs by 1.7e-4 through float32 rounding
    # alone (cosine 1 − 5e-14): an absolute 1e-4 bound called that drift.
    reference = [_rng().uniform(-25, 162, size=(1, 468 * 3)).astype(np.float32)]
    candidate = [reference[0] + np.float32(1.68e-4)]

    drift = compare_output("output_mesh", reference, candidate, FLOAT32)

    assert drift.within_tolerance and drift.failed_checks == []
    assert drift.max_abs_bound == pytest.approx(1e-4 + 1e-4 * float(np.abs(reference[0]).max()))
    assert drift.peak_abs == pytest.approx(float(np.abs(reference[0]).max()))


def test_tiny_outputs_keep_an_absolute_floor() -> None:
    # A face-presence probability of ~3e-5: 9e-8 apart is rounding, not drift.
    reference = [np.linspace(3.98e-6, 3.56e-5, 8).astype(np.float32)]
    candidate = [reference[0] + np.float32(8.8e-8)]

    assert compare_output("faceflag", reference, candidate, FLOAT32).within_tolerance


def test_a_real_float32_defect_still_fails_and_says_by_how_much() -> None:
    # A detection head compared with rows out of place: cosine 0.78, error ~500 at peak 533.
    reference = [_rng().uniform(-20, 533, size=(1, 100, 6))]
    candidate = [np.roll(reference[0], 1, axis=1)]

    drift = compare_output("detections", reference, candidate, FLOAT32)

    assert not drift.within_tolerance
    [check] = drift.failed_checks
    assert re.fullmatch(
        r"max abs 5\d\d > 0\.05\d+ \(max abs ≤ 0\.0001 \+ 0\.0001·peak, peak 5\d\d\)", check
    )


def test_float32_rounding_spread_through_a_deep_model_passes_as_a_whole() -> None:
    # Robust Video Matting's recurrent state in ONNX: a few values 3.1e-4 off at peak 1, the
    # rest within 1e-5 (cosine 1 − 1.2e-10, PSNR 98.9 dB). Over the max abs bound, and
    # rounding all the same; the report keeps the max abs check and says why it passed.
    rng = _rng()
    reference = [rng.uniform(0, 1, size=(1, 4096)) for _ in range(8)]
    candidate = [r + rng.normal(0, 1e-5, size=r.shape) for r in reference]
    candidate[3][0, 17] += 3.1e-4

    drift = compare_output("r1o", reference, candidate, FLOAT32)

    assert drift.within_tolerance
    [check] = drift.failed_checks
    assert check.startswith("max abs 0.00031 > 0.0002 (max abs ≤ 0.0001 + 0.0001·peak, peak 1)")
    assert drift.within_as_a_whole is not None
    assert re.fullmatch(
        r"as a whole: cosine 1 − [\d.]+e-1\d ≥ 1 − 1e-06, PSNR 9\d\.\d dB ≥ 80 dB",
        drift.within_as_a_whole,
    )
    assert "but as a whole" in within(drift)
    assert "or, as a whole, cosine ≥ 1 − 1e-06 and PSNR ≥ 80 dB" in FLOAT32.describe()


def test_a_local_float32_defect_is_not_hidden_as_a_whole() -> None:
    # The same output with a block of 64 values 0.01 off (a resize rule at one edge): PSNR
    # 66 dB, under the 80 dB that passes an output over its bound as a whole.
    rng = _rng()
    reference = [rng.uniform(0, 1, size=(1, 4096)) for _ in range(8)]
    candidate = [r + rng.normal(0, 1e-5, size=r.shape) for r in reference]
    candidate[3][0, :64] += 0.01

    drift = compare_output("r1o", reference, candidate, FLOAT32)

    assert not drift.within_tolerance
    assert drift.within_as_a_whole is None


def test_an_explicit_max_drift_is_not_waived_as_a_whole() -> None:
    from hub_convert.policy.tolerances import effective_tolerance

    strict = effective_tolerance("onnx", "float32", policy={}, max_drift={"*": 2e-4})
    rng = _rng()
    reference = [rng.uniform(0, 1, size=(1, 4096))]
    candidate = [reference[0] + rng.normal(0, 1e-5, size=(1, 4096))]
    candidate[0][0, 17] += 3.1e-4

    assert strict.whole_min_cosine is None and strict.whole_min_psnr_db is None
    assert not compare_output("r1o", reference, candidate, strict).within_tolerance


def test_float16_is_judged_by_direction_and_signal_to_noise() -> None:
    # Float16 files with cosine 0.9999 and PSNR 45-53 dB failed an absolute 1e-2 bound.
    rng = _rng()
    reference = [rng.uniform(0, 1, size=(1, 512)).astype(np.float32)]
    candidate = [reference[0] + rng.normal(0, 5e-3, size=(1, 512)).astype(np.float32)]

    drift = compare_output("note", reference, candidate, FLOAT16)

    assert drift.max_abs is not None and drift.max_abs > 1e-2
    assert drift.within_tolerance
    worse = [reference[0] + rng.normal(0, 5e-2, size=(1, 512)).astype(np.float32)]
    assert not compare_output("note", reference, worse, FLOAT16).within_tolerance


def test_psnr_peak_is_the_largest_value_not_the_range() -> None:
    # An age regressor: values near 30 that vary by 0.1; 0.03 of error is 0.1 %.
    reference = [np.array([[30.0], [30.1], [29.95], [30.05]])]
    candidate = [reference[0] + 0.03]

    drift = compare_output("age", reference, candidate, INT8)

    assert drift.psnr_db == pytest.approx(20 * np.log10(30.1 / 0.03))
    assert drift.within_tolerance


def test_an_output_that_is_nan_everywhere_is_never_passed() -> None:
    reference = [np.full((2, 3), np.nan, dtype=np.float32)]

    drift = compare_output("y", reference, [reference[0].copy()], FLOAT32)

    assert not drift.compared and not drift.within_tolerance
    assert drift.problem == "nothing to compare: every value is 6 NaN"
    status, reason = status_from_drift([drift])
    assert status == "not-validated" and reason is not None and "'y'" in reason


def test_nan_and_inf_must_sit_at_the_same_places_and_the_rest_is_compared() -> None:
    reference = [np.array([1.0, np.nan, np.inf, -np.inf, 2.0])]
    same = compare_output("y", reference, [np.array([1.0, np.nan, np.inf, -np.inf, 2.0])], FLOAT32)
    assert same.within_tolerance and same.nonfinite == "1 NaN and 2 ±inf"
    assert "at the same positions" in within(same)

    moved = compare_output("y", reference, [np.array([np.nan, 1.0, np.inf, -np.inf, 2.0])], FLOAT32)
    assert not moved.within_tolerance and "NaN" in (moved.problem or "")
    flipped = compare_output(
        "y", reference, [np.array([1.0, np.nan, -np.inf, np.inf, 2.0])], FLOAT32
    )
    assert not flipped.within_tolerance and "inf" in (flipped.problem or "")
    finite_off = compare_output(
        "y", reference, [np.array([1.0, np.nan, np.inf, -np.inf, 9.0])], FLOAT32
    )
    assert not finite_off.within_tolerance, "the finite values are still compared"


def test_inf_outputs_do_not_overflow_the_cosine() -> None:
    reference = [np.array([1e300, -1e300, 3.0])]
    drift = compare_output("y", reference, [reference[0].copy()], FLOAT32)
    assert drift.cosine == pytest.approx(1.0) and drift.within_tolerance


def test_strings_compare_exactly() -> None:
    reference = [np.array([b"cat", b"dog", b"emu"], dtype=object)]
    same = compare_output("label", reference, [reference[0].copy()], FLOAT32)
    assert same.within_tolerance
    other = compare_output(
        "label", reference, [np.array([b"cat", b"dig", b"emu"], dtype=object)], FLOAT32
    )
    assert not other.within_tolerance and other.problem == "1 of 3 strings differ"
    numeric = compare_output("label", reference, [np.array([1.0, 2.0, 3.0])], FLOAT32)
    assert not numeric.within_tolerance and "dtype" in (numeric.problem or "")


def test_near_tied_rows_swapped_by_nms_pass_order_insensitively_and_say_so() -> None:
    rng = _rng()
    boxes = rng.uniform(0, 1, size=(1, 20, 4))
    swapped = boxes.copy()
    swapped[0, [3, 4]] = swapped[0, [4, 3]]  # two near-tied candidates change places
    swapped += rng.normal(0, 1e-7, size=swapped.shape)
    depends_on = "NonMaxSuppressionV5 (node nms)"

    as_is = compare_output("boxes", [boxes], [swapped], FLOAT32)
    matched = compare_output("boxes", [boxes], [swapped], FLOAT32, order_depends_on=depends_on)

    assert not as_is.within_tolerance and as_is.order_insensitive is None
    assert matched.within_tolerance
    assert matched.order_insensitive is not None
    assert matched.order_insensitive.depends_on == depends_on
    assert matched.max_abs == as_is.max_abs, "the as-is difference stays in the report"
    assert "order-insensitive" in within(matched)


def test_matching_rows_never_hides_a_real_difference() -> None:
    rng = _rng()
    scores = np.sort(rng.uniform(0, 1, size=(1, 50)))[:, ::-1]
    wrong = scores.copy()
    wrong[0, 10] += 0.2  # a value that no reordering explains

    drift = compare_output(
        "scores", [scores], [wrong], FLOAT32, order_depends_on="TopKV2 (node top)"
    )

    assert not drift.within_tolerance
    assert drift.order_insensitive is not None and not drift.order_insensitive.within_tolerance
    assert "also after matching rows" in within(drift)


def test_policy_file_bounds_include_the_scale_relative_one() -> None:
    tolerance = Tolerance(max_abs=0.0, max_rel=1e-2)
    drift = compare_output("y", [np.array([100.0, 50.0])], [np.array([100.9, 50.0])], tolerance)
    assert drift.within_tolerance and drift.max_abs_bound == pytest.approx(1.0)


def test_one_value_far_off_in_a_big_output_does_not_pass_as_a_whole() -> None:
    # One value off by 5 % of the peak among a million: cosine and PSNR (86 dB) average it
    # away, yet it is a local defect; the waiver stops at 10× the max abs bound.
    rng = _rng()
    reference = [rng.uniform(0, 1, size=(1, 1_000_000))]
    candidate = [reference[0] + rng.normal(0, 1e-7, size=reference[0].shape)]
    peak = float(np.abs(reference[0]).max())
    candidate[0][0, 4242] += 0.05 * peak

    drift = compare_output("mask", reference, candidate, FLOAT32)

    assert not drift.within_tolerance
    assert drift.within_as_a_whole is None
    [check] = drift.failed_checks
    assert check.startswith("max abs 0.05 > 0.0002")
    assert "over 10× the bound: a local error, not rounding" in check
