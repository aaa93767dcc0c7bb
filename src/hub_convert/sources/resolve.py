"""Turn the ``model`` argument into a ``SourceModel``. No TensorFlow here.

The argument decides its kind by itself (an http(s) URL is a Hub handle; a directory is a
SavedModel, a TF1 Hub module or a TF.js model; a file is an archive, a Keras file or a
TF.js model.json); ``kind`` (``--source-kind``) overrides the guess. Path checks, archive
extraction and config inspection happen here, in the main process; whatever needs
TensorFlow (a download through tensorflow_hub, a Keras or TF.js export) is a materializer
that the pipeline runs in a worker.
"""

from __future__ import annotations

import dataclasses
import tarfile
import zipfile
from pathlib import Path

from ..errors import BadInputError
from ..report.vocabulary import SOURCE_KINDS, SourceKind
from . import archive as archives
from . import keras_file, tfjs
from .frozen_graph import frozen_graph_source, looks_like_frozen_graph
from .hub import handle_source, is_handle
from .saved_model import directory_source, is_saved_model_dir
from .source_model import SourceModel

# The values of --source-kind.
KINDS = SOURCE_KINDS

# Handles written without their scheme (a common slip) get a hint instead of a path error.
# A frozen graph's tensors named by --inputs and --outputs.
GraphIO = tuple[tuple[str, ...], tuple[str, ...]]
_HANDLE_HOSTS = ("tfhub.dev/", "www.kaggle.com/models/", "kaggle.com/models/")
_ACCEPTED = (
    "a SavedModel directory, a .tar.gz/.tgz/.zip archive of one, a .keras or .h5 file, "
    "a TF.js model.json, a frozen graph (.pb), or a TF Hub / Kaggle handle URL"
)


def resolve(
    model: str,
    *,
    work_dir: Path,
    kind: SourceKind | None = None,
    allow_unsafe: bool = False,
    graph_inputs: tuple[str, ...] = (),
    graph_outputs: tuple[str, ...] = (),
) -> SourceModel:
    """Find out what ``model`` is and return it as a SourceModel, or fail with exit 2.

    ``work_dir`` is a private temporary directory for extracted or exported models.
    ``kind`` forces one of ``KINDS``; ``allow_unsafe`` lets Keras files with Lambda layers
    or classes from outside Keras load (their code runs). ``graph_inputs`` and
    ``graph_outputs`` (``--inputs``, ``--outputs``) name a frozen graph's tensors; every
    other kind is refused with them.
    """
    source = _resolve(model, work_dir, kind, allow_unsafe, (graph_inputs, graph_outputs))
    if source.kind == "frozen_graph":
        return source
    for option, names in (("--inputs", graph_inputs), ("--outputs", graph_outputs)):
        if names:
            raise BadInputError(
                f"{option} {','.join(names)}: names a frozen graph's (.pb) tensors, and "
                f"{model} is a {source.kind} model; choose its signature with --signature"
            )
    return source


def _resolve(
    model: str, work_dir: Path, kind: SourceKind | None, allow_unsafe: bool, graph_io: GraphIO
) -> SourceModel:
    if kind is not None and kind not in KINDS:
        raise BadInputError(f"--source-kind {kind}: unknown kind; choose one of {', '.join(KINDS)}")
    if kind == "hub" or (kind is None and is_handle(model)):
        return handle_source(model, work_dir)
    if is_handle(model):
        raise BadInputError(
            f"{model}: a URL is a TF Hub handle; --source-kind {kind} needs a local path"
        )
    path = Path(model).expanduser()
    if not path.exists():
        if model.lower().startswith(_HANDLE_HOSTS):
            raise BadInputError(
                f"{model}: no such file or directory; for a handle write https://{model}"
            )
        raise BadInputError(f"{model}: no such file or directory; pass {_ACCEPTED}")
    if kind is not None:
        return _source(kind, path, model, work_dir, allow_unsafe, graph_io, forced=True)
    detected = _detect(path, model)
    return _source(detected, path, model, work_dir, allow_unsafe, graph_io, forced=False)


def _detect(path: Path, display_path: str) -> SourceKind:
    """The kind of an existing path: from its type and name, else from its first bytes."""
    if path.is_dir():
        if is_saved_model_dir(path):
            return "saved_model"  # or tf1_hub: directory_source looks for tfhub_module.pb
        if tfjs.looks_like_tfjs(path):
            return "tfjs"
        raise BadInputError(
            f"{display_path}: directory has no saved_model.pb; pass a TensorFlow SavedModel "
            "directory (or a TF.js model directory with model.json)"
        )
    name = path.name.lower()
    if name.endswith(keras_file.KERAS_SUFFIXES):
        return "keras"
    if name.endswith(keras_file.H5_SUFFIXES):
        return "h5"
    if archives.has_archive_suffix(path):
        return "archive"
    if tfjs.looks_like_tfjs(path):
        return "tfjs"
    sniffed = _sniff(path)
    if sniffed is not None:
        return sniffed
    if looks_like_frozen_graph(path):
        return "frozen_graph"
    if name == "saved_model.pb":
        raise BadInputError(
            f"{display_path}: not a SavedModel directory (got a file); pass the directory "
            "that contains saved_model.pb"
        )
    raise BadInputError(f"{display_path}: not a model file hub-convert knows; pass {_ACCEPTED}")


def _sniff(path: Path) -> SourceKind | None:
    """The kind of a file whose name says nothing (a download saved as ``model`` or ``.bin``)."""
    if keras_file.is_hdf5(path):
        return "h5"
    if zipfile.is_zipfile(path):
        return "keras" if keras_file.is_keras_zip(path) else "archive"
    try:
        return "archive" if tarfile.is_tarfile(path) else None
    except OSError:  # unreadable: the error message for unknown files says enough
        return None


def _source(
    kind: SourceKind,
    path: Path,
    display_path: str,
    work_dir: Path,
    allow_unsafe: bool,
    graph_io: GraphIO,
    *,
    forced: bool,
) -> SourceModel:
    if kind in ("saved_model", "tf1_hub"):
        if not (path.is_dir() and is_saved_model_dir(path)):
            raise BadInputError(
                f"{display_path}: --source-kind {kind} needs a directory with saved_model.pb"
            )
        # Detected: directory_source tells a TF1 Hub module by its tfhub_module.pb.
        return directory_source(path, display_path, kind=kind if forced else None)
    if kind == "archive":
        return _archive_source(path, display_path, work_dir)
    if kind in ("keras", "h5"):
        if not path.is_file():
            raise BadInputError(f"{display_path}: --source-kind {kind} needs a file")
        if kind == "h5" and not keras_file.is_hdf5(path):
            raise BadInputError(
                f"{display_path}: not an HDF5 file; pass a Keras .h5 saved with model.save()"
            )
        return keras_file.keras_source(
            path, display_path, work_dir, kind=kind, allow_unsafe=allow_unsafe
        )
    if kind == "frozen_graph":
        return frozen_graph_source(path, display_path, work_dir, *graph_io)
    return _tfjs_source(path, display_path, work_dir)


def _archive_source(path: Path, display_path: str, work_dir: Path) -> SourceModel:
    """Extract the archive into ``work_dir`` and use the model inside it."""
    if not path.is_file():
        raise BadInputError(f"{display_path}: --source-kind archive needs a file")
    extracted = work_dir / "archive"
    archives.extract_archive(path, extracted)
    root = archives.find_model_root(extracted)
    if root is None:
        raise BadInputError(
            f"{display_path}: the archive holds no saved_model.pb or model.json at its top "
            "or in its single top-level folder; archive the model directory itself"
        )
    stem = archives.archive_stem(path)
    provenance = {"archive": path.name, "sha256": archives.sha256_file(path)}
    if root != extracted:
        provenance["archive_folder"] = root.name
    if is_saved_model_dir(root):
        inner = directory_source(root, display_path, stem=stem)
    else:
        inner = _tfjs_source(root, display_path, work_dir)
    provenance["archive_contents"] = inner.kind
    return dataclasses.replace(
        inner, kind="archive", provenance=inner.provenance | provenance, stem=stem
    )


def _tfjs_source(path: Path, display_path: str, work_dir: Path) -> SourceModel:
    """A TF.js model (model.json or its directory), checked here, converted in a worker."""
    info = tfjs.check_tfjs(path)
    model_json = _model_json(path)
    provenance = {
        key: str(value)
        for key, value in (
            ("format", info.format),
            ("generatedBy", info.generated_by),
            ("convertedBy", info.converted_by),
        )
        if value
    }
    stem = model_json.parent.name if model_json.name.startswith("model.json") else None
    return SourceModel(
        kind="tfjs",
        display_path=display_path,
        saved_model_dir=work_dir / "tfjs_saved_model",
        size_bytes=int(info.size_bytes),
        provenance=provenance,
        materializer=tfjs.TfjsMaterializer(model_json),
        stem=stem or model_json.name.split(".", 1)[0],
        unsafe_ops=info.unsafe_ops,
    )


def _model_json(path: Path) -> Path:
    if path.is_file():
        return path.resolve()
    for name in ("model.json", "model.json.gz"):
        if (path / name).is_file():
            return (path / name).resolve()
    return (path / "model.json").resolve()  # check_tfjs has already said what is missing
