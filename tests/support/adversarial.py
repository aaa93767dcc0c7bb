"""What every adversarial case asserts: the exit code, one error line, no traceback, and an
output directory exactly as it was (earlier outputs intact, nothing added)."""

from __future__ import annotations

from pathlib import Path

from support.cli import CliRun

PREFIX = "hub-convert: error: "


def snapshot(directory: Path) -> dict[str, bytes] | None:
    """Every file under ``directory`` with its bytes; None when it does not exist."""
    if not directory.exists():
        return None
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }


def earlier_outputs(directory: Path) -> dict[str, bytes] | None:
    """An output directory holding a previous run's report, to check it survives."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.json").write_text('{"earlier": true}\n')
    (directory / "model_float32.tflite").write_bytes(b"earlier model")
    return snapshot(directory)


def assert_one_line_error(run: CliRun, exit_code: int, *needles: str) -> str:
    """Exit code, exactly one ``hub-convert: error:`` line (the last one), no traceback;
    returns that line."""
    lines = [line for line in run.stderr.splitlines() if line.startswith(PREFIX)]
    assert run.exit_code == exit_code, run.stderr
    assert len(lines) == 1, run.stderr
    assert run.stderr.rstrip("\n").splitlines()[-1] == lines[0], "the error is the last line"
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]
