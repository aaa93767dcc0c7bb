"""Where the time went: the stages' times in report.json, report.md and the clock that takes
them. No TensorFlow: a real run's timings are checked in test_convert_keras.py."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from hub_convert.convert.specs import StageMark
from hub_convert.errors import BadInputError
from hub_convert.report.render import render_report
from hub_convert.report.run_info import StageTime, Timings
from hub_convert.report.schema import Report
from hub_convert.run.timings import Clock
from support.report_factory import sample_report


def _with_timings() -> Report:
    report = sample_report()
    report.timings = Timings(
        total_seconds=12.5,
        workers=2,
        stages=[
            StageTime(stage="load", start_seconds=2.0, seconds=1.25),
            StageTime(
                stage="convert", target="tflite", variant="float16", start_seconds=4, seconds=3.5
            ),
            StageTime(stage="latency", start_seconds=10.0, seconds=0.75),
        ],
    )
    return report


def test_clock_orders_stages_from_the_start_of_the_run() -> None:
    clock = Clock()
    with clock.stage("resolve"):
        time.sleep(0.05)
    clock.add(StageMark("load", clock.started_at - 5, 1.0))  # a worker's clock, before ours
    clock.add(StageMark("convert", clock.started_at + 0.01, 0.5), "onnx", "float32")
    with pytest.raises(RuntimeError), clock.stage("latency", "tflite", "dynamic"):
        raise RuntimeError("a stage that fails is still timed")

    timings = clock.timings(workers=1)

    assert [(s.stage, s.target) for s in timings.stages] == [
        ("load", None),  # clamped to the start
        ("resolve", None),
        ("convert", "onnx"),
        ("latency", "tflite"),
    ]
    resolve = timings.stages[1]
    assert resolve.seconds >= 0.05
    assert timings.stages[2].start_seconds == pytest.approx(0.01, abs=0.005)
    assert clock.seconds("convert") == 0.5
    assert timings.total_seconds >= resolve.seconds


def test_report_md_says_where_the_time_went(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(_with_timings().to_json())

    markdown = render_report(Report.load(path))

    assert "<summary>Where the time went: 12.5 s in all, 2 worker process(es)</summary>" in (
        markdown
    )
    assert "| load the model in TensorFlow | 2.0 s | 1.2 s |" in markdown
    assert "| convert tflite float16 | 4.0 s | 3.5 s |" in markdown
    assert "| latency (TensorFlow) | 10.0 s | 0.8 s |" in markdown
    assert "Where the time went" not in render_report(Report.load(path), details=False)


def test_a_report_without_timings_still_loads_and_renders(tmp_path: Path) -> None:
    data = json.loads(_with_timings().to_json())
    del data["timings"]  # as hub-convert wrote reports before timings existed
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))

    report = Report.load(path)

    assert report.timings is None
    assert "Where the time went" not in render_report(report)


@pytest.mark.parametrize(
    ("field", "value"),
    [("stage", "lunch"), ("seconds", -1.0), ("start_seconds", float("inf"))],
)
def test_untrusted_timings_are_checked(tmp_path: Path, field: str, value: object) -> None:
    data = json.loads(_with_timings().to_json())
    data["timings"]["stages"][0][field] = value
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data).replace("Infinity", "1e999"))

    with pytest.raises(BadInputError, match="not a hub-convert report"):
        Report.load(path)


def test_a_preloaded_runtime_waits_for_the_signal_and_gives_up_after_its_limit(
    tmp_path: Path,
) -> None:
    """convert/latency.py: a runtime loaded while conversions run is timed only once the main
    process says none runs; if that never comes, it is not timed at all."""
    import threading

    from hub_convert.convert.latency import StillBusy, wait_for_signal

    signal = tmp_path / "conversions-done"
    waited = threading.Event()
    waiter = threading.Thread(target=lambda: (wait_for_signal(signal, 30.0), waited.set()))
    waiter.start()
    assert not waited.wait(0.3)  # no signal: still waiting
    signal.touch()
    assert waited.wait(5.0)
    waiter.join()

    with pytest.raises(StillBusy, match="not timed while they compete"):
        wait_for_signal(tmp_path / "never", 0.2)
