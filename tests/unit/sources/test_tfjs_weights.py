"""TF.js model.json and weights, read without TensorFlow: decoding, checks, detection."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from hub_convert.errors import BadInputError
from hub_convert.sources.tfjs import check_tfjs, looks_like_tfjs
from hub_convert.sources.tfjs.check import load_checked
from hub_convert.sources.tfjs.weights_decode import read_weights
from support.tfjs_writer import write_tiny_graph_model


def _write_model(directory: Path, weights: list[dict[str, object]], data: bytes) -> Path:
    """A graph model.json whose one group's ``data`` is split into two shards mid-value."""
    directory.mkdir(parents=True, exist_ok=True)
    cut = 7  # inside the first float32: decoding must see the shards as one buffer
    (directory / "a.bin").write_bytes(data[:cut])
    (directory / "b.bin").write_bytes(data[cut:])
    document = {
        "format": "graph-model",
        "modelTopology": {"node": []},
        "weightsManifest": [{"paths": ["a.bin", "b.bin"], "weights": weights}],
    }
    path = directory / "model.json"
    path.write_text(json.dumps(document))
    return path


def test_every_dtype_decodes_as_tfjs_does(tmp_path: Path) -> None:
    strings = b"".join(len(s).to_bytes(4, "little") + s for s in (b"ab", b"", "é".encode()))
    u8 = np.array([0, 128, 255], np.uint8)
    u16 = np.array([0, 5, 65535], np.uint16)
    f16 = np.array([0.5, -1.25], np.float16)
    data = b"".join(
        [
            np.array([1.5, -2.0], "<f4").tobytes(),
            np.array([7, -8, 2**31 - 1], "<i4").tobytes(),
            bytes([0, 1, 2, 0]),
            np.array([1 + 2j], "<c8").tobytes(),
            strings,
            u8.tobytes(),
            u16.astype("<u2").tobytes(),
            f16.astype("<f2").tobytes(),
        ]
    )
    weights: list[dict[str, object]] = [
        {"name": "f32", "shape": [2], "dtype": "float32"},
        {"name": "i32", "shape": [3], "dtype": "int32"},
        {"name": "flags", "shape": [2, 2], "dtype": "bool"},
        {"name": "c64", "shape": [1], "dtype": "complex64"},
        {"name": "words", "shape": [3], "dtype": "string"},
        {
            "name": "q8",
            "shape": [3],
            "dtype": "float32",
            "quantization": {"dtype": "uint8", "scale": 0.1, "min": -12.8},
        },
        {
            "name": "q16int",
            "shape": [3],
            "dtype": "int32",
            "quantization": {"dtype": "uint16", "scale": 0.5, "min": -2.5},
        },
        {
            "name": "half",
            "shape": [2],
            "dtype": "float32",
            "quantization": {"dtype": "float16", "original_dtype": "float32"},
        },
    ]
    model_json = _write_model(tmp_path, weights, data)
    checked = load_checked(model_json)
    got = read_weights(model_json, checked.groups)

    np.testing.assert_array_equal(got["f32"], np.array([1.5, -2.0], np.float32))
    np.testing.assert_array_equal(got["i32"], [7, -8, 2**31 - 1])
    np.testing.assert_array_equal(got["flags"], [[False, True], [True, False]])
    assert got["c64"].dtype == np.complex64 and got["c64"][0] == 1 + 2j
    assert list(got["words"]) == [b"ab", b"", "é".encode()]
    # q * scale + min in double precision, then float32 (tfjs-core decodeWeight)
    np.testing.assert_array_equal(got["q8"], (u8 * 0.1 - 12.8).astype(np.float32))
    assert got["q8"].dtype == np.float32
    # int32 weights are rounded the way JavaScript's Math.round does (halves go up)
    np.testing.assert_array_equal(got["q16int"], [-2, 0, 32765])
    np.testing.assert_array_equal(got["half"], f16.astype(np.float32))
    assert checked.info.weights.startswith("8 weights, 2 shards, 1 group, ")


def test_check_reports_format_origin_size_and_weights(tmp_path: Path) -> None:
    model_json = write_tiny_graph_model(tmp_path / "tiny")
    info = check_tfjs(tmp_path / "tiny")
    assert info.model_json == model_json
    assert info.format == "graph-model"
    assert info.generated_by == "hand-written"
    assert info.converted_by == ""  # null in the file
    shards = sorted((tmp_path / "tiny").glob("*.bin"))
    assert len(shards) == 3
    assert info.size_bytes == model_json.stat().st_size + sum(p.stat().st_size for p in shards)
    assert info.weights == "2 weights, 3 shards, 2 groups, uint8 quantized, float32 unquantized"
    assert info.provenance() == {
        "format": "graph-model",
        "generatedBy": "hand-written",
        "weights": info.weights,
    }


def test_gzipped_model_json_under_either_name(tmp_path: Path) -> None:
    model_json = write_tiny_graph_model(tmp_path / "tiny")
    raw = model_json.read_bytes()
    model_json.unlink()
    (tmp_path / "tiny" / "model.json.gz").write_bytes(gzip.compress(raw))
    assert check_tfjs(tmp_path / "tiny").model_json.name == "model.json.gz"
    # servers and tools also gzip the content and keep the name
    (tmp_path / "tiny" / "model.json").write_bytes(gzip.compress(raw))
    assert check_tfjs(tmp_path / "tiny" / "model.json").format == "graph-model"


@pytest.mark.parametrize(
    ("topology", "expected"),
    [
        ({"node": [], "library": {}}, "graph-model"),
        ({"model_config": {"class_name": "Sequential", "config": {"layers": []}}}, "layers-model"),
        ({"class_name": "Sequential", "config": {"layers": []}}, "layers-model"),
    ],
)
def test_files_without_format_are_recognized(
    tmp_path: Path, topology: dict[str, object], expected: str
) -> None:
    document = {"modelTopology": topology, "weightsManifest": []}
    (tmp_path / "model.json").write_text(json.dumps(document))
    assert check_tfjs(tmp_path).format == expected


def test_looks_like_tfjs(tmp_path: Path) -> None:
    write_tiny_graph_model(tmp_path / "graph")
    (tmp_path / "gz").mkdir()
    (tmp_path / "gz" / "model.json.gz").write_bytes(b"")
    (tmp_path / "saved").mkdir()
    (tmp_path / "saved" / "saved_model.pb").write_bytes(b"")
    (tmp_path / "posenet-stride16.json").write_text("{}")
    (tmp_path / "weights.bin").write_bytes(b"")
    assert looks_like_tfjs(tmp_path / "graph")
    assert looks_like_tfjs(tmp_path / "graph" / "model.json")
    assert looks_like_tfjs(tmp_path / "gz")
    assert looks_like_tfjs(tmp_path / "posenet-stride16.json")
    assert not looks_like_tfjs(tmp_path / "saved")
    assert not looks_like_tfjs(tmp_path / "weights.bin")
    assert not looks_like_tfjs(tmp_path / "missing.json")


def test_truncated_string_weight_is_reported(tmp_path: Path) -> None:
    data = (5).to_bytes(4, "little") + b"abc" + b"\x00" * 4  # says 5 bytes, holds 3 (+4)
    model_json = _write_model(tmp_path, [{"name": "words", "shape": [2], "dtype": "string"}], data)
    with pytest.raises(BadInputError, match="ends inside string weight 'words'"):
        check_tfjs(model_json)


def test_signature_may_live_in_user_defined_metadata(tmp_path: Path) -> None:
    signature = {"inputs": {"input:0": {"name": "input:0"}}, "outputs": {}}
    document = {
        "format": "graph-model",
        "modelTopology": {"node": []},
        "userDefinedMetadata": {"signature": signature},
    }
    (tmp_path / "model.json").write_text(json.dumps(document))
    assert load_checked(tmp_path).model.signature == signature


def test_signature_keys_are_valid_unique_names() -> None:
    from hub_convert.sources.tfjs.export import signature_keys

    names = ["input:0", "Identity:0", "Identity_1:0", "conv/Out", "0", "a b", "a-b", "LR", "lr"]
    assert signature_keys(names) == [
        "input",
        "Identity",
        "Identity_1",
        "conv_Out",
        "t_0",
        "a_b",
        "a_b_2",
        "LR",  # the case the model shows
        "lr_2",  # TensorFlow lower-cases placeholder names: keys must differ in more than case
    ]
