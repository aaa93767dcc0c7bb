"""Order-dependent outputs re-derived from a converted file's own continuous outputs
(convert/rederive.py): CenterNet's case, where near-tied heatmap peaks move detections in and
out of TopK's k places and neither as-is nor row-matched comparison can tell that from a real
difference.

The candidate outputs here come from an independent NumPy implementation of the same
post-processing (local peaks, then top k), not from the code under test; the end-to-end test
converts with the real TFLite converter.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hub_convert.report.artifact import Tolerance
from support import models
from support.cli import run_cli

pytestmark = pytest.mark.tf

FLOAT32 = Tolerance(max_abs=1e-4, max_rel=1e-4)
K = 200


def _numpy_detections(heatmap: np.ndarray) -> np.ndarray:
    """(1, K, 2) rows of (score, flat index): peaks equal to their 3×3 SAME max pool, the K
    best, ties to the lower index (TensorFlow's TopKV2)."""
    padded = np.pad(heatmap[0], ((1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(0, 1))
    pooled = windows.max(axis=(-2, -1))
    peaks = (heatmap[0] * (heatmap[0] == pooled)).reshape(-1)
    order = np.lexsort((np.arange(peaks.size), -peaks))[:K]
    return np.stack([peaks[order], order.astype(np.float32)], axis=-1)[None].astype(np.float32)


def _setup(tmp_path: Path, *, with_heatmap: bool = True) -> tuple[Any, Any, Any]:
    """(graph facts, validation samples with the original's outputs, tolerance)."""
    import tensorflow as tf

    from hub_convert.convert.graph_facts import read_graph_facts
    from hub_convert.convert.samples import Samples

    model = models.peak_detector(tmp_path / "peaks", with_heatmap=with_heatmap)
    function = tf.saved_model.load(str(model)).signatures["serving_default"]
    facts = read_graph_facts(function, ["image"])
    rng = np.random.default_rng(0)
    inputs = [{"image": rng.uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)} for _ in range(4)]
    reference = [{k: v.numpy() for k, v in function(**sample).items()} for sample in inputs]
    names = sorted(reference[0])
    return facts, Samples(["image"], names, inputs, reference), function


def _candidate(samples: Any, noise: float, seed: int = 1) -> list[dict[str, np.ndarray]]:
    """A converted file's outputs: the heatmap off by up to ``noise``, and the detections its
    own heatmap gives."""
    rng = np.random.default_rng(seed)
    outputs = []
    for sample in samples.outputs:
        heatmap = sample["heatmap"] + rng.uniform(-noise, noise, sample["heatmap"].shape)
        heatmap = heatmap.astype(np.float32)
        outputs.append({"heatmap": heatmap, "detections": _numpy_detections(heatmap)})
    return outputs


def _judged(facts: Any, samples: Any, outputs: Any, tolerance: Tolerance) -> dict[str, Any]:
    from hub_convert.convert.validate import compare_outputs, rederive_outputs

    drifts = compare_outputs(samples, outputs, tolerance, facts.order_depends_on)
    as_compared = {d.output: d for d in drifts}
    assert not as_compared["detections"].within_tolerance, "the noise must move detections"
    judged = rederive_outputs(drifts, facts.cut_graphs, samples, outputs)
    return {d.output: d for d in judged}


def test_the_numpy_post_processing_matches_the_original(tmp_path: Path) -> None:
    """The test's own reference implementation is the model's post-processing."""
    _, samples, _ = _setup(tmp_path)
    for sample in samples.outputs:
        np.testing.assert_array_equal(_numpy_detections(sample["heatmap"]), sample["detections"])


def test_the_graph_is_cut_at_the_heatmap_and_reproduces_the_original(tmp_path: Path) -> None:
    from hub_convert.convert import rederive

    facts, samples, _ = _setup(tmp_path)

    graph = facts.cut_graphs["detections"]
    assert graph.from_outputs == ["heatmap"]
    assert graph.decided_by.startswith("TopKV2 (node ")
    assert graph.input_feeds == ()  # the image reaches the detections only through the heatmap
    assert len(graph.graph_def) < 10_000  # the post-processing, not the convolution's weights
    assert rederive.reproducing(facts.cut_graphs, samples.inputs, samples.outputs) == {
        "detections": graph
    }
    altered = [dict(sample) for sample in samples.outputs]
    altered[2]["detections"] = altered[2]["detections"] + np.float32(1e-3)
    assert rederive.reproducing(facts.cut_graphs, samples.inputs, altered) == {}


def test_no_cut_without_an_output_that_separates_the_decisions(tmp_path: Path) -> None:
    facts, _, _ = _setup(tmp_path, with_heatmap=False)

    assert list(facts.order_depends_on) == ["detections"]
    assert facts.cut_graphs == {}


def test_detections_moved_by_heatmap_ties_pass_re_derived_and_say_so(tmp_path: Path) -> None:
    facts, samples, _ = _setup(tmp_path)
    judged = _judged(facts, samples, _candidate(samples, noise=2e-6), FLOAT32)

    assert judged["heatmap"].within_tolerance
    detections = judged["detections"]
    assert detections.within_tolerance
    assert detections.failed_checks  # as compared, it still says what differed
    assert detections.rederived is not None and detections.rederived.within_tolerance
    assert detections.rederived.from_outputs == ["heatmap"]
    assert detections.rederived.max_abs == 0.0


def test_a_real_difference_after_the_decisions_stays_drift(tmp_path: Path) -> None:
    facts, samples, _ = _setup(tmp_path)
    outputs = _candidate(samples, noise=2e-6)
    outputs[1]["detections"][0, 7, 0] += np.float32(0.01)  # one score 2 % off, heatmap fine

    detections = _judged(facts, samples, outputs, FLOAT32)["detections"]

    assert not detections.within_tolerance
    assert detections.rederived is not None and not detections.rederived.within_tolerance
    assert detections.rederived.max_abs == pytest.approx(0.01, rel=1e-3)


def test_no_re_derivation_when_the_heatmap_itself_drifts(tmp_path: Path) -> None:
    facts, samples, _ = _setup(tmp_path)
    outputs = _candidate(samples, noise=1e-2)

    judged = _judged(facts, samples, outputs, FLOAT32)

    assert not judged["heatmap"].within_tolerance
    assert not judged["detections"].within_tolerance
    assert judged["detections"].rederived is None


def test_float16_tflite_detections_are_re_derived_end_to_end(tmp_path: Path) -> None:
    """The real converter: float16 weights move the flat heatmap by ~1e-6, within tolerance,
    which moves peaks across TopK's 200th place; the file's own heatmap explains every row."""
    model = models.peak_detector(tmp_path / "peaks")
    out = tmp_path / "out"

    result = run_cli("convert", str(model), "--output-dir", str(out), "--latency-runs", "0")

    assert result.exit_code == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    float16 = next(a for a in report["artifacts"] if a["variant"] == "float16")
    assert float16["status"] == "passed"
    drift = {d["output"]: d for d in float16["drift"]}
    detections = drift["detections"]
    assert detections["failed_checks"]
    assert not (detections["order_insensitive"] or {}).get("within_tolerance")
    assert detections["rederived"]["within_tolerance"]
    assert detections["rederived"]["from_outputs"] == ["heatmap"]
    assert drift["heatmap"]["within_tolerance"]
    markdown = (out / "report.md").read_text()
    assert "re-derived from its own `heatmap`" in markdown
