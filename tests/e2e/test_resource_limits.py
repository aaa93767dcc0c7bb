"""Resource bombs: bounded reads and decompression, JSON nesting, declared array sizes, input
shapes and a memory limit per worker. Each is exit 2 with one line, before allocating, and
the output directory is left as it was."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from support import unsafe_models
from support.adversarial import assert_one_line_error, earlier_outputs, snapshot
from support.cli import CliRun, run_cli
from support.tfjs_writer import write_tiny_graph_model

BIG = 80 << 20  # over the 64 MiB any model.json or Keras config may take


def _convert(
    model: Path, tmp_path: Path, *options: str
) -> tuple[CliRun, Path, dict[str, bytes] | None]:
    out = tmp_path / "out"
    before = earlier_outputs(out)
    return run_cli("convert", model, "--output-dir", out, *options), out, before


def test_gzip_bomb_in_model_json_gz(tmp_path: Path) -> None:
    model_json = write_tiny_graph_model(tmp_path / "web")
    document = json.loads(model_json.read_text())
    document["padding"] = " " * BIG  # inflates to 80 MiB from about 80 kB
    bomb = model_json.with_name("model.json.gz")
    bomb.write_bytes(gzip.compress(json.dumps(document).encode(), compresslevel=9))
    model_json.unlink()
    assert bomb.stat().st_size < 1 << 20

    run, out, before = _convert(bomb, tmp_path)

    assert_one_line_error(run, 2, "model.json.gz", "decompressed data is larger than 64 MiB")
    assert snapshot(out) == before


def _keras_zip(path: Path, config: bytes) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("config.json", config)
        bundle.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        bundle.writestr("model.weights.h5", b"")
    return path


def test_zip_bomb_config_in_keras_file(tmp_path: Path) -> None:
    config = b'{"class_name": "Functional", "pad": "' + b" " * BIG + b'"}'
    model = _keras_zip(tmp_path / "bomb.keras", config)
    assert model.stat().st_size < 1 << 20

    run, out, before = _convert(model, tmp_path)

    assert_one_line_error(run, 2, "config.json is larger than 64 MiB")
    assert snapshot(out) == before


DEEP = 100_000


def test_deep_json_in_model_json(tmp_path: Path) -> None:
    model_json = write_tiny_graph_model(tmp_path / "web")
    text = model_json.read_text()
    model_json.write_text(text[:-1] + ', "deep": ' + "[" * DEEP + "]" * DEEP + "}")

    run, out, before = _convert(model_json, tmp_path)

    assert_one_line_error(run, 2, "JSON nested 100001 levels deep")
    assert snapshot(out) == before


def test_deep_json_in_keras_config(tmp_path: Path) -> None:
    config = b'{"class_name": "Functional", "config": ' + b"[" * DEEP + b"]" * DEEP + b"}"
    run, out, before = _convert(_keras_zip(tmp_path / "deep.keras", config), tmp_path)

    assert_one_line_error(run, 2, "config.json: JSON nested")
    assert snapshot(out) == before


def _npz_declaring(path: Path, shape: tuple[int, ...], dtype: str) -> Path:
    """An .npz whose member's header declares ``shape`` but holds only a few bytes."""
    header = io.BytesIO()
    np.lib.format.write_array_header_2_0(
        header, {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": shape}
    )
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("x.npy", header.getvalue() + b"\0" * 64)  # header only, no data
    return path


def test_npz_declaring_a_64_gib_array(tmp_path: Path) -> None:
    data = _npz_declaring(tmp_path / "data.npz", (8 << 30,), "float64")

    run, out, before = _convert(tmp_path, tmp_path, "--representative-data", str(data))

    assert_one_line_error(
        run, 2, "--representative-data", "would take 64 GiB in memory", "--max-memory"
    )
    assert snapshot(out) == before


def test_npz_with_pickled_objects(tmp_path: Path) -> None:
    data = _npz_declaring(tmp_path / "data.npz", (4,), "O")
    run, _, _ = _convert(tmp_path, tmp_path, "--representative-data", str(data))
    assert_one_line_error(run, 2, "pickled data")


def test_input_shape_too_large_for_memory(tmp_path: Path) -> None:
    run, out, before = _convert(tmp_path, tmp_path, "--input-shape", "x=1000000000x16")

    assert_one_line_error(run, 2, "--input-shape x=1000000000x16", "over the", "--max-memory")
    assert snapshot(out) == before


@pytest.mark.parametrize(("value", "needle"), [("lots", "is not a size"), ("1M", "below")])
def test_bad_max_memory(value: str, needle: str, tmp_path: Path) -> None:
    run, _, _ = _convert(tmp_path, tmp_path, "--max-memory", value)
    assert_one_line_error(run, 2, "--max-memory", needle)


@pytest.mark.tf
def test_worker_over_its_memory_limit(tmp_path: Path) -> None:
    # 3 GB in one tensor: fine on this machine, over the worker's 1.5 GiB limit.
    model = unsafe_models.allocates(tmp_path / "model", 750_000_000)

    run, out, before = _convert(model, tmp_path, "--max-memory", "1536M", "--jobs", "1")

    assert_one_line_error(
        run, 2, "ran out of memory within the worker's 1.5 GiB limit", "--max-memory 3G", "zeros"
    )
    assert snapshot(out) == before


def test_memory_limit_applies_to_the_worker_process() -> None:
    import multiprocessing

    from hub_convert.workers import memory_limit

    context = multiprocessing.get_context("spawn")
    with context.Pool(1, initializer=memory_limit.apply, initargs=(1 << 30,)) as pool:
        assert pool.apply(memory_limit.current) == 1 << 30
        with pytest.raises(MemoryError):
            pool.apply(np.ones, ((1 << 30) // 8 * 2,))  # 2 GiB of float64
