"""Hostile SavedModels are refused before any of their code runs; --allow-unsafe-ops runs
them and the report lists what they do. Real SavedModels, built at test time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import unsafe_models
from support.adversarial import assert_one_line_error, earlier_outputs, snapshot
from support.cli import CliRun, run_cli
from support.cli_batch import run_cli_batch
from support.tfjs_writer import write_tiny_graph_model
from support.unsafe_ops_fixtures import add_write_file_node

pytestmark = pytest.mark.tf

QUICK = ("--targets", "tflite", "--tflite-variants", "float32", "--latency-runs", "0")

# builder(path, canary) -> SavedModel; the op the refusal names; where it sits.
HOSTILE: dict[str, tuple[Callable[[Path, Path], Path], str, str]] = {
    "write_file in the signature": (unsafe_models.writes_file, "WriteFile", "__inference_serve"),
    "read_file in the signature": (
        lambda path, canary: unsafe_models.reads_file(path, Path("/etc/hostname")),
        "ReadFile",
        "__inference_serve",
    ),
    "py_function": (unsafe_models.calls_py_function, "EagerPyFunc", "__inference_serve"),
    "numpy_function": (unsafe_models.calls_numpy_function, "PyFunc", "__inference_serve"),
    # These two run inside tf.saved_model.load itself.
    "resource initializer": (
        unsafe_models.initializer_writes_file,
        "WriteFile",
        "__inference__initializer",
    ),
    "checkpoint restore function": (
        unsafe_models.restore_writes_file,
        "WriteFile",
        # Found in the custom restore function and in the saver's restore function that calls
        # it (TF copies its body there); the line names the first in library order.
        "restore",
    ),
    # The TF1 saver's restore op, which TF1 loaders run: hidden among the saver's own ops.
    "TF1 saver restore op": (unsafe_models.tf1_saver_writes_file, "WriteFile", 'node "hidden'),
}


@dataclass(frozen=True)
class Refusal:
    """One hostile model's run: its canary, and its output directory before the run."""

    run: CliRun
    canary: Path
    before: dict[str, bytes] | None


@pytest.fixture(scope="module")
def refusals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Refusal]:
    """Every hostile model built, then all run two at a time (independent runs, each in its
    own directory): the test of each case reads its run."""
    prepared: dict[str, tuple[Path, dict[str, bytes] | None]] = {}
    commands: dict[str, tuple[str | Path, ...]] = {}
    for case, (builder, _, _) in HOSTILE.items():
        root = tmp_path_factory.mktemp("hostile")
        canary = root / "canary"
        model = builder(root / "model", canary)
        out = root / "out"
        prepared[case] = (canary, earlier_outputs(out))
        commands[case] = ("convert", model, "--output-dir", out, "--jobs", "1", *QUICK)
    runs = run_cli_batch(commands)
    return {case: Refusal(runs[case], *prepared[case]) for case in HOSTILE}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_saved_model_is_refused_before_it_runs(
    case: str, refusals: dict[str, Refusal]
) -> None:
    _, op, where = HOSTILE[case]
    refusal = refusals[case]

    line = assert_one_line_error(refusal.run, 2, f"graph op {op} at ", where, "--allow-unsafe-ops")
    assert "refused" in line
    assert not refusal.canary.exists(), "the op ran"
    assert snapshot(refusal.run.output_dir) == refusal.before


@pytest.mark.parametrize(
    ("case", "runs_at"),
    [("write_file in the signature", "validation"), ("TF1 saver restore op", "load")],
)
def test_allow_unsafe_ops_runs_the_model_and_reports_the_op(
    case: str, runs_at: str, tmp_path: Path
) -> None:
    builder, op, _ = HOSTILE[case]
    canary = tmp_path / "canary"
    model = builder(tmp_path / "model", canary)

    run = run_cli("convert", model, "--output-dir", tmp_path / "out", "--allow-unsafe-ops", *QUICK)

    assert run.exit_code in (0, 1), run.stderr
    assert canary.exists(), f"the op should have run at {runs_at}: the flag allows it"
    found = run.report["source"]["unsafe_ops"]
    assert [(f["op"], f["effect"], f["found_in"]) for f in found] == [
        (op, "writes files", "saved_model")
    ]
    assert "[!CAUTION]" in (tmp_path / "out" / "report.md").read_text()
    assert "warning: running graph op WriteFile" in run.stderr


def test_tfjs_unsafe_op_is_listed_when_allowed(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    model_json = write_tiny_graph_model(tmp_path / "web")
    add_write_file_node(model_json, canary)

    run = run_cli(
        "convert", model_json, "--output-dir", tmp_path / "out", "--allow-unsafe-ops", *QUICK
    )

    assert run.exit_code == 0, run.stderr
    found = run.report["source"]["unsafe_ops"]
    assert [(f["op"], f["node"], f["found_in"]) for f in found] == [("WriteFile", "leak", "tfjs")]
    # TF.js runs only what the outputs need, and so does the rebuilt graph: never this node.
    assert not canary.exists()


def test_every_listed_op_is_a_tensorflow_op() -> None:
    from tensorflow.python.framework import op_def_registry

    from hub_convert.safety.unsafe_ops import CONDITIONAL_OPS, UNSAFE_OPS

    unknown = [op for op in [*UNSAFE_OPS, *CONDITIONAL_OPS] if op_def_registry.get(op) is None]
    assert unknown == []


def test_no_findings_in_ordinary_models(
    keras_model: Path, two_signature_model: Path, classifier_model: Path, tmp_path: Path
) -> None:
    # The saver's SaveV2/RestoreV2/MergeV2Checkpoints, Keras exports, TF1 savers and a
    # vocabulary file kept as an asset are the model's own business.
    from hub_convert.convert.saved_model_scan import scan_saved_model

    vocabulary = tmp_path / "vocabulary.txt"
    vocabulary.write_text("a\nb\nc\n")
    models = [
        keras_model,
        two_signature_model,
        classifier_model,
        unsafe_models.tf1_plain(tmp_path / "tf1"),
        unsafe_models.vocabulary_table(tmp_path / "vocabulary", vocabulary),
    ]

    assert {str(m): scan_saved_model(m) for m in models} == {str(m): [] for m in models}
