"""The dispatcher: what each kind of ``model`` argument becomes, and its one-line errors.

No TensorFlow here: resolve() runs in the main process, which must never import it.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from hub_convert.errors import BadInputError
from hub_convert.fsutil import tree_size
from hub_convert.sources import KINDS, resolve
from hub_convert.sources.hub import HubMaterializer, handle_stem
from hub_convert.sources.keras_export import KerasMaterializer
from hub_convert.sources.tfjs import TfjsMaterializer
from support.source_fixtures import (
    fake_saved_model_dir,
    h5_config_file,
    keras_config_file,
    keras_layer,
    tar_gz_of,
    zip_of,
)
from support.tfjs_writer import write_tiny_graph_model


def test_saved_model_directory_is_used_in_place(tmp_path: Path) -> None:
    model = fake_saved_model_dir(tmp_path / "classifier")
    source = resolve(str(model), work_dir=tmp_path / "work")
    assert source.kind == "saved_model"
    assert source.saved_model_dir == model.resolve()
    assert source.materializer is None
    assert (source.default_tags, source.default_signature) == (None, None)
    assert source.size_bytes == 16


def test_tf1_hub_module_is_told_by_its_module_def(tmp_path: Path) -> None:
    model = fake_saved_model_dir(tmp_path / "nnlm", tf1_hub=True)
    source = resolve(str(model), work_dir=tmp_path / "work")
    assert source.kind == "tf1_hub"
    assert source.default_tags == ()
    assert source.default_signature == "default"


def test_source_kind_overrides_detection(tmp_path: Path) -> None:
    plain = fake_saved_model_dir(tmp_path / "plain")
    tf1 = fake_saved_model_dir(tmp_path / "tf1", tf1_hub=True)
    forced_tf1 = resolve(str(plain), work_dir=tmp_path / "w1", kind="tf1_hub")
    assert (forced_tf1.kind, forced_tf1.default_tags, forced_tf1.default_signature) == (
        "tf1_hub",
        (),
        "default",
    )
    forced_plain = resolve(str(tf1), work_dir=tmp_path / "w2", kind="saved_model")
    assert (forced_plain.kind, forced_plain.default_tags) == ("saved_model", None)


def test_files_named_otherwise_are_told_by_their_content(tmp_path: Path) -> None:
    model = fake_saved_model_dir(tmp_path / "model")
    files = {
        "tar.bin": tar_gz_of(model, tmp_path / "tar.bin"),
        "zip.bin": zip_of(model, tmp_path / "zip.bin"),
        "keras.bin": keras_config_file(tmp_path / "keras.bin", [keras_layer("Dense", "d")]),
        "h5.bin": h5_config_file(tmp_path / "h5.bin", {"class_name": "Sequential"}),
    }
    kinds = {
        name: resolve(str(path), work_dir=tmp_path / f"work_{name}").kind
        for name, path in files.items()
    }
    assert kinds == {
        "tar.bin": "archive",
        "zip.bin": "archive",
        "keras.bin": "keras",
        "h5.bin": "h5",
    }


def test_source_kind_overrides_the_name(tmp_path: Path) -> None:
    """A .zip that is really a .keras file: the name says archive, --source-kind keras wins."""
    path = keras_config_file(tmp_path / "model.zip", [keras_layer("Dense", "d")])
    with pytest.raises(BadInputError, match=r"holds no saved_model\.pb"):
        resolve(str(path), work_dir=tmp_path / "w1")
    assert resolve(str(path), work_dir=tmp_path / "w2", kind="keras").kind == "keras"


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        ("keras", "needs a file"),
        ("h5", "needs a file"),
        ("archive", "needs a file"),
        ("hub", "not a TF Hub handle"),
    ],
)
def test_forced_kind_that_does_not_fit(tmp_path: Path, kind: str, needle: str) -> None:
    model = fake_saved_model_dir(tmp_path / "model")
    with pytest.raises(BadInputError, match=needle) as caught:
        resolve(str(model), work_dir=tmp_path / "work", kind=kind)
    assert str(model) in str(caught.value)


def test_unknown_kind_lists_the_kinds(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="unknown kind") as caught:
        resolve(str(tmp_path), work_dir=tmp_path / "work", kind="onnx")
    assert ", ".join(KINDS) in str(caught.value)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such file or directory") as caught:
        resolve(str(tmp_path / "nope"), work_dir=tmp_path / "work")
    assert str(caught.value).startswith(str(tmp_path / "nope"))


def test_handle_without_scheme_gets_a_hint(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such file or directory") as caught:
        resolve("tfhub.dev/google/nnlm-en-dim128/2", work_dir=tmp_path)
    assert "https://tfhub.dev/google/nnlm-en-dim128/2" in str(caught.value)


def test_text_file_is_no_model(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(BadInputError, match="not a model file hub-convert knows") as caught:
        resolve(str(notes), work_dir=tmp_path / "work")
    assert str(caught.value).startswith(str(notes))
    assert "\n" not in str(caught.value)


def test_directory_without_a_model(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"saved_model\.pb"):
        resolve(str(tmp_path), work_dir=tmp_path / "work")


@pytest.mark.parametrize(
    ("handle", "stem"),
    [
        (
            "https://tfhub.dev/google/imagenet/mobilenet_v2_100_224/classification/5",
            "mobilenet_v2_100_224_classification_5",
        ),
        (
            "https://www.kaggle.com/models/google/mobilenet-v2/tensorFlow2/100-224-classification/2",
            "mobilenet-v2_100-224-classification_2",
        ),
        ("https://example.com/models/encoder.tar.gz", "encoder"),
        ("http://127.0.0.1:8000/models/tiny/1", "models_tiny_1"),
    ],
)
def test_handles_resolve_in_a_worker(tmp_path: Path, handle: str, stem: str) -> None:
    source = resolve(handle, work_dir=tmp_path)
    assert source.kind == "hub"
    assert source.display_path == handle
    assert source.provenance == {"handle": handle}
    assert source.stem == stem == handle_stem(handle)
    assert isinstance(source.materializer, HubMaterializer)
    assert not source.saved_model_dir.exists(), "the worker creates it"


def test_materializers_survive_the_trip_to_a_worker(tmp_path: Path) -> None:
    hub = pickle.loads(pickle.dumps(HubMaterializer("https://tfhub.dev/a/b/1")))
    assert hub.handle == "https://tfhub.dev/a/b/1"
    if hub._console_fd is not None:  # unpickling keeps a copy of stderr for progress
        os.close(hub._console_fd)
    keras_file = keras_config_file(tmp_path / "m.keras", [keras_layer("Dense", "dense")])
    source = resolve(str(keras_file), work_dir=tmp_path / "work")
    again = pickle.loads(pickle.dumps(source.materializer))
    assert again == source.materializer
    assert isinstance(again, KerasMaterializer)


def test_keras_file_provenance_without_tensorflow(tmp_path: Path) -> None:
    path = keras_config_file(tmp_path / "classifier.keras", [keras_layer("Dense", "dense")])
    source = resolve(str(path), work_dir=tmp_path / "work")
    assert source.kind == "keras"
    assert source.stem == "classifier"
    assert source.provenance["file"] == "classifier.keras"
    assert source.provenance["keras_version"] == "3.15.1"
    assert len(source.provenance["sha256"]) == 64
    assert source.saved_model_dir.parent == tmp_path / "work"


@pytest.mark.parametrize(
    ("layer", "needle"),
    [
        (keras_layer("Lambda", "scale"), "layer 'scale' is a Lambda layer"),
        (
            keras_layer("Attention2", "attn", module="my_pkg.layers"),
            "layer 'attn' uses the custom class 'Attention2' from module my_pkg.layers",
        ),
    ],
)
def test_unsafe_keras_layers_need_allow_unsafe(
    tmp_path: Path, layer: dict[str, object], needle: str
) -> None:
    path = keras_config_file(tmp_path / "m.keras", [keras_layer("Dense", "dense"), layer])
    with pytest.raises(BadInputError) as caught:
        resolve(str(path), work_dir=tmp_path / "w1")
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert needle in message
    assert "--allow-unsafe" in message
    allowed = resolve(str(path), work_dir=tmp_path / "w2", allow_unsafe=True)
    assert isinstance(allowed.materializer, KerasMaterializer)
    assert allowed.materializer.allow_unsafe
    assert allowed.provenance["unsafe_loading"] == "allowed (--allow-unsafe)"


def test_lambda_nested_in_a_sequential_is_found(tmp_path: Path) -> None:
    inner = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "block", "trainable": True, "layers": [keras_layer("Lambda", "deep")]},
    }
    path = keras_config_file(tmp_path / "m.keras", [inner])
    with pytest.raises(BadInputError, match="layer 'deep' is a Lambda layer"):
        resolve(str(path), work_dir=tmp_path / "work")


def test_h5_lambda_is_found_without_tensorflow(tmp_path: Path) -> None:
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [{"class_name": "Lambda", "config": {"name": "double", "trainable": True}}],
        },
    }
    path = h5_config_file(tmp_path / "old.h5", config)
    with pytest.raises(BadInputError, match="layer 'double' is a Lambda layer"):
        resolve(str(path), work_dir=tmp_path / "work")


def test_h5_weights_only_file(tmp_path: Path) -> None:
    path = h5_config_file(tmp_path / "weights.h5", None)
    with pytest.raises(BadInputError, match="without a model_config"):
        resolve(str(path), work_dir=tmp_path / "work")


@pytest.mark.parametrize("name", ["broken.keras", "broken.h5"])
def test_corrupt_keras_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(BadInputError) as caught:
        resolve(str(path), work_dir=tmp_path / "work")
    assert str(caught.value).startswith(f"{path}: not a")


def test_resolve_never_imports_tensorflow(tmp_path: Path) -> None:
    """Every kind resolves in a fresh interpreter without loading TensorFlow or Keras."""
    fake_saved_model_dir(tmp_path / "sm")
    fake_saved_model_dir(tmp_path / "tf1", tf1_hub=True)
    tar_gz_of(tmp_path / "sm", tmp_path / "sm.tar.gz")
    keras_config_file(tmp_path / "m.keras", [keras_layer("Dense", "dense")])
    h5_config_file(tmp_path / "m.h5", {"class_name": "Sequential", "config": {"layers": []}})
    script = f"""
import sys
from pathlib import Path
from hub_convert.sources import resolve
root = Path({str(tmp_path)!r})
for i, model in enumerate(["sm", "tf1", "sm.tar.gz", "m.keras", "m.h5"]):
    resolve(str(root / model), work_dir=root / f"work{{i}}")
resolve("https://tfhub.dev/google/x/1", work_dir=root / "work_hub")
heavy = {{"tensorflow", "keras", "tf_keras", "tensorflow_hub"}} & set(sys.modules)
print(sorted(heavy))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_tfjs_directory_and_file_are_routed(tmp_path: Path) -> None:
    model_json = write_tiny_graph_model(tmp_path / "posenet")
    for given in (model_json.parent, model_json):
        source = resolve(str(given), work_dir=tmp_path / "work")
        assert source.kind == "tfjs"
        assert source.size_bytes == tree_size(model_json.parent)
        assert source.provenance["format"] == "graph-model"
        assert isinstance(source.materializer, TfjsMaterializer)
        assert source.materializer.model_json == model_json.resolve()
        assert source.stem == "posenet"
        assert source.saved_model_dir.parent == tmp_path / "work"
    other = model_json.parent / "model-stride16.json"
    other.write_text(model_json.read_text())
    assert resolve(str(other), work_dir=tmp_path / "w2").stem == "model-stride16"


def test_tfjs_errors_come_from_its_check(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"not": "a model"}')
    with pytest.raises(BadInputError, match=r"settings\.json"):
        resolve(str(path), work_dir=tmp_path / "work", kind="tfjs")


def test_tfjs_model_in_an_archive(tmp_path: Path) -> None:
    model_json = write_tiny_graph_model(tmp_path / "model")
    path = zip_of(model_json.parent, tmp_path / "posenet.zip", folder="posenet")
    source = resolve(str(path), work_dir=tmp_path / "work")
    assert source.kind == "archive"
    assert source.provenance["archive_contents"] == "tfjs"
    assert source.provenance["format"] == "graph-model"
    assert source.stem == "posenet"
    assert isinstance(source.materializer, TfjsMaterializer)
    assert source.materializer.model_json.is_relative_to((tmp_path / "work").resolve())
