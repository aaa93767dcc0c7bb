"""The base report cache is untrusted input (actions/cache restores it): an entry that cannot
be read, or does not describe this base, is ignored with a notice and the base converted
again; the pipeline and the behaviour run stand in (no TensorFlow)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hub_convert.report.comparison_schema import Behaviour
from hub_convert.report.schema import Report
from hub_convert.run import base_run
from hub_convert.run.base_run import Base, compare_with_base
from hub_convert.run.behaviour import MeasuredBehaviour
from hub_convert.run.config import ConvertConfig, build_config
from hub_convert.run.model_files import content_hash
from support.report_factory import sample_report


def _config(tmp_path: Path) -> ConvertConfig:
    model = tmp_path / "head"
    model.mkdir(exist_ok=True)
    (model / "saved_model.pb").write_bytes(b"head")
    values = {"model": str(model), "output-dir": str(tmp_path / "out")}
    return build_config(values, label=lambda name: f"--{name}", command="")


@pytest.fixture
def base_runs(monkeypatch: pytest.MonkeyPatch) -> list[ConvertConfig]:
    """The pipeline and the behaviour run replaced; the configs the pipeline ran."""
    seen: list[ConvertConfig] = []

    def run(
        config: ConvertConfig, log: object, *, then: Callable[..., None] | None = None, **_: object
    ) -> Report:
        seen.append(config)
        if then is not None:  # the base's behaviour, measured in its conversion's workers
            then(None, None, None)
        return sample_report(model_path="models/base")

    def behaviour(*_: object, **__: object) -> MeasuredBehaviour:
        return MeasuredBehaviour(Behaviour(compared=False, reason="stand-in"))

    monkeypatch.setattr(base_run, "run", run)
    monkeypatch.setattr(base_run, "measure_behaviour", behaviour)
    monkeypatch.setattr(base_run, "measure_in_base_run", behaviour)
    return seen


def _compare(tmp_path: Path, cache: Path, lines: list[str]) -> tuple[bool, ConvertConfig]:
    config = _config(tmp_path)
    base_model = tmp_path / "base"
    base_model.mkdir(exist_ok=True)
    (base_model / "saved_model.pb").write_bytes(b"base")
    base = Base(str(base_model), "main abc")
    base_hash = content_hash(str(base_model))
    comparison = compare_with_base(
        config,
        base,
        base_hash,
        sample_report(),
        tmp_path / "samples.npz",
        cache,
        lines.append,
        False,
    )
    assert comparison.status == "changed"
    return comparison.base_report_cached, config


def _entry(tmp_path: Path, cache: Path) -> Path:
    """Where the cache keeps this base's report (the cache is filled by a first run)."""
    lines: list[str] = []
    _compare(tmp_path, cache, lines)
    (entry,) = cache.iterdir()
    return entry


def test_a_second_run_takes_the_base_report_from_the_cache(
    tmp_path: Path, base_runs: list[ConvertConfig]
) -> None:
    cache = tmp_path / "cache"
    _entry(tmp_path, cache)
    assert len(base_runs) == 1
    lines: list[str] = []
    cached, _ = _compare(tmp_path, cache, lines)
    assert cached and len(base_runs) == 1, lines


def _invalid_utf8(entry: Path) -> None:
    entry.write_bytes(b'{"schema_version": "\xff\xfe"}')


def _huge_sparse(entry: Path) -> None:
    with entry.open("r+b") as handle:
        handle.truncate(8 << 30)  # 8 GiB of holes: nothing written


def _malformed(entry: Path) -> None:
    entry.write_text('{"report": ')


@pytest.mark.parametrize("spoil", [_invalid_utf8, _huge_sparse, _malformed])
def test_a_bad_cache_entry_is_ignored_with_a_notice_and_the_base_converted(
    tmp_path: Path, base_runs: list[ConvertConfig], spoil: object
) -> None:
    cache = tmp_path / "cache"
    entry = _entry(tmp_path, cache)
    spoil(entry)  # type: ignore[operator]
    lines: list[str] = []
    cached, _ = _compare(tmp_path, cache, lines)
    assert not cached
    assert len(base_runs) == 2, lines  # converted again
    (notice,) = [line for line in lines if "cached base report" in line]
    assert "ignor" in notice and entry.name in notice, notice
    assert entry.stat().st_size < 1 << 20  # rewritten with the fresh report
