"""Keras model files: ``.keras`` (Keras 3 zip) and ``.h5`` (Keras 2, HDF5), exported to a
SavedModel by a materializer.

Loading a Keras file can run code from the file: a ``Lambda`` layer carries Python
bytecode, and a class outside Keras makes the deserializer import a module. Keras 3's
``safe_mode`` refuses the first for ``.keras``; ``tf_keras`` has no safe mode for ``.h5``.
So ``resolve`` reads the model config itself, without TensorFlow (``config.json`` inside the
zip, the ``model_config`` attribute of the HDF5 file), and refuses both unless the user
passes ``--allow-unsafe``. The worker then loads with safe mode on (unless allowed) and
writes the SavedModel with ``model.export()`` (a ``serve`` endpoint and a
``serving_default`` signature, variables only).
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import BadInputError
from ..report.source_info import UnsafeOp
from ..safety.safe_read import MAX_JSON_BYTES, parse_json, read_zip_member
from .archive import sha256_file
from .keras_config import unsafe_layers
from .source_model import SourceModel

KERAS_SUFFIXES = (".keras",)
H5_SUFFIXES = (".h5", ".hdf5")
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
# Packages Keras itself imports classes from when deserializing (keras.saving); a "module"
# outside them names user code that hub-convert does not have.
KERAS_PACKAGES = frozenset({"keras", "tf_keras", "keras_hub", "keras_cv", "keras_nlp"})
# Keras classes that unpickle code from the file: TorchModuleWrapper holds a torch.save()d
# module (Keras' own safe mode refuses it too).
PICKLING_CLASSES = frozenset({"TorchModuleWrapper"})


@dataclass(frozen=True)
class UnsafeObject:
    """Something in a model config that runs or imports code when the model loads."""

    layer: str
    problem: str


@dataclass(frozen=True)
class MissingFunction:
    """A Python function the config names but the file cannot hold: a lambda that Keras 2
    wrote as "<lambda>", or an unregistered function written by name only."""

    layer: str
    name: str
    role: str  # the config key: "activation", "recurrent_activation", ...

    def message(self) -> str:
        where = f"layer {self.layer!r} uses" if self.layer else "the model uses"
        what = "a Python lambda" if self.name == "<lambda>" else f"the function {self.name!r}"
        role = f" as its {self.role.replace('_', ' ')}" if self.role else ""
        return (
            f"{where} {what}{role}, which the file names but does not contain (it was code in "
            "the program that saved it); load the model there, with that function as a custom "
            "object, and export a SavedModel with model.export(DIR)"
        )


@dataclass(frozen=True)
class KerasFileInfo:
    """What the file says about itself, read without TensorFlow."""

    keras_version: str  # "" when the file does not say
    unsafe: list[UnsafeObject]
    unsafe_ops: list[UnsafeOp]  # built-in layers that reach files (keras_config.py)
    missing: list[MissingFunction] = field(default_factory=list)

    @property
    def keras_major(self) -> int:
        head = self.keras_version.split(".", 1)[0]
        return int(head) if head.isdigit() else 0


def is_hdf5(path: Path) -> bool:
    """True for a file that starts with the HDF5 signature."""
    with path.open("rb") as handle:
        return handle.read(len(HDF5_MAGIC)) == HDF5_MAGIC


def is_keras_zip(path: Path) -> bool:
    """True for a zip laid out as Keras 3 saves ``.keras`` files (config.json at the top)."""
    try:
        with zipfile.ZipFile(path) as bundle:
            names = set(bundle.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "config.json" in names and bool({"metadata.json", "model.weights.h5"} & names)


def inspect_keras_file(path: Path, display_path: str) -> KerasFileInfo:
    """Read ``config.json`` and ``metadata.json`` from a ``.keras`` zip."""
    try:
        with zipfile.ZipFile(path) as bundle:
            names = set(bundle.namelist())
            if "config.json" not in names:
                raise BadInputError(
                    f"{display_path}: not a Keras 3 model file (no config.json inside); "
                    "save it with model.save('model.keras')"
                )
            config = _zip_json(bundle, "config.json", display_path)
            metadata: Any = {}
            if "metadata.json" in names:
                metadata = _zip_json(bundle, "metadata.json", display_path)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise BadInputError(
            f"{display_path}: not a readable .keras file ({exc}); save it again with "
            "model.save('model.keras')"
        ) from None
    version = metadata.get("keras_version", "") if isinstance(metadata, dict) else ""
    return KerasFileInfo(
        keras_version=str(version),
        unsafe=list(unsafe_objects(config)),
        unsafe_ops=unsafe_layers(config),
        missing=list(missing_functions(config)),
    )


def _zip_json(bundle: zipfile.ZipFile, name: str, display_path: str) -> Any:
    """A JSON entry of the .keras zip: bounded inflation, bounded nesting (safe_read.py)."""
    where = f"{display_path}: {name}"
    raw = read_zip_member(bundle, name, MAX_JSON_BYTES, where)
    return parse_json(raw, where, fix="save the model again with model.save('model.keras')")


def inspect_h5_file(path: Path, display_path: str) -> KerasFileInfo:
    """Read the ``model_config`` and ``keras_version`` attributes of a Keras ``.h5`` file."""
    # No TensorFlow in h5py; imported here so that other kinds do not pay for it.
    import h5py  # type: ignore[import-untyped]

    try:
        with h5py.File(path, "r") as h5:
            raw_config = h5.attrs.get("model_config")
            raw_version = h5.attrs.get("keras_version", "")
    except OSError as exc:
        raise BadInputError(
            f"{display_path}: not a readable HDF5 file ({exc}); save it again with "
            "model.save('model.h5')"
        ) from None
    if raw_config is None:
        raise BadInputError(
            f"{display_path}: HDF5 file without a model_config (weights only?); save the "
            "whole model with model.save('model.h5'), not save_weights()"
        )
    raw = raw_config if isinstance(raw_config, bytes) else str(raw_config).encode("utf-8")
    if len(raw) > MAX_JSON_BYTES:
        raise BadInputError(f"{display_path}: model_config is larger than any model needs")
    config = parse_json(raw, f"{display_path}: model_config")
    return KerasFileInfo(
        keras_version=_text(raw_version),
        unsafe=list(unsafe_objects(config)),
        unsafe_ops=unsafe_layers(config),
        missing=list(missing_functions(config)),
    )


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def unsafe_objects(config: Any, layer: str = "") -> Iterator[UnsafeObject]:
    """Lambda layers and classes from outside Keras, anywhere in a (nested) model config.

    ``layer`` is the name of the innermost enclosing layer, for the message.
    """
    if isinstance(config, list):
        for item in config:
            yield from unsafe_objects(item, layer)
        return
    if not isinstance(config, dict):
        return
    class_name = config.get("class_name")
    inner = config.get("config")
    # Every layer (and model) config has "trainable"; dtype policies and initializers,
    # which also carry a "name", do not.
    if isinstance(inner, dict) and "trainable" in inner and isinstance(inner.get("name"), str):
        layer = inner["name"]
    if class_name == "Lambda":
        yield UnsafeObject(layer, "is a Lambda layer (its Python code runs when the model loads)")
        return  # its function is part of the same finding
    if class_name == "__lambda__":  # a Python lambda serialized outside a Lambda layer
        yield UnsafeObject(layer, "holds a Python lambda (its code runs when the model loads)")
        return
    if class_name in PICKLING_CLASSES:
        yield UnsafeObject(layer, f"is a {class_name} (it unpickles code when the model loads)")
        return
    if isinstance(class_name, str):
        module = config.get("module")
        if ">" in class_name or (
            isinstance(module, str) and module.split(".", 1)[0] not in KERAS_PACKAGES
        ):
            where = f" from module {module}" if isinstance(module, str) else ""
            yield UnsafeObject(layer, f"uses the custom class {class_name!r}{where}")
            return
    for value in config.values():
        yield from unsafe_objects(value, layer)


def missing_functions(config: Any, layer: str = "", key: str = "") -> Iterator[MissingFunction]:
    """Functions a (nested) model config names without their code: Keras 2's "<lambda>"
    strings, and Keras' ``{"class_name": "function", "module": "builtins"}`` for a function
    registered nowhere. No loading option can bring them back."""
    if isinstance(config, list):
        for item in config:
            yield from missing_functions(item, layer, key)
        return
    if isinstance(config, str):
        if config == "<lambda>":
            yield MissingFunction(layer, config, key)
        return
    if not isinstance(config, dict):
        return
    inner = config.get("config")
    if isinstance(inner, dict) and "trainable" in inner and isinstance(inner.get("name"), str):
        layer = inner["name"]
    if (
        config.get("class_name") == "function"
        and config.get("module") == "builtins"
        and config.get("registered_name") in (None, "function")
        and isinstance(inner, str)
    ):
        yield MissingFunction(layer, inner, key)
        return
    for name, value in config.items():
        yield from missing_functions(value, layer, key if name == "config" else name)


def keras_source(
    path: Path,
    display_path: str,
    work_dir: Path,
    *,
    kind: Literal["keras", "h5"],
    allow_unsafe: bool,
) -> SourceModel:
    """A ``keras`` (.keras) or ``h5`` source, checked for unsafe content unless allowed."""
    if kind == "keras":
        info = inspect_keras_file(path, display_path)
    else:
        info = inspect_h5_file(path, display_path)
    if info.missing:  # whatever --allow-unsafe says: the code is not in the file
        raise BadInputError(f"{display_path}: {info.missing[0].message()}")
    if info.unsafe and not allow_unsafe:
        first = info.unsafe[0]
        more = f" (and {len(info.unsafe) - 1} more)" if len(info.unsafe) > 1 else ""
        raise BadInputError(
            f"{display_path}: layer {first.layer!r} {first.problem}{more}; refused, as Keras "
            "safe mode does: pass --allow-unsafe if you trust this file (a class outside "
            "Keras must also be importable), or export a SavedModel with model.export()"
        )
    provenance = {"file": path.name, "sha256": sha256_file(path)}
    if info.keras_version:
        provenance["keras_version"] = info.keras_version
    if info.unsafe:
        provenance["unsafe_loading"] = "allowed (--allow-unsafe)"
    return SourceModel(
        kind=kind,
        display_path=display_path,
        saved_model_dir=work_dir / "keras_saved_model",
        size_bytes=path.stat().st_size,
        provenance=provenance,
        materializer=KerasMaterializer(
            path.resolve(),
            display_path,
            kind=kind,
            keras_major=info.keras_major,
            allow_unsafe=allow_unsafe,
        ),
        stem=path.stem,
        unsafe_ops=tuple(info.unsafe_ops),
    )


@dataclass(frozen=True)
class KerasMaterializer:
    """Load the Keras file in the worker and export its SavedModel at ``target``.

    Keras 3 files load with ``keras``; Keras 2 files (``keras_version`` 2.x, and ``.h5``
    files that do not say) with ``tf_keras``. Both export with ``model.export()``.
    """

    path: Path
    display_path: str  # as the user wrote it, for messages
    kind: str
    keras_major: int
    allow_unsafe: bool

    def __call__(self, target: Path) -> dict[str, str]:
        model, loader = self._load()
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            if loader.startswith("keras "):
                model.export(str(target), verbose=False)
            else:
                model.export(str(target))
        except Exception as exc:
            raise BadInputError(
                f"{self.display_path}: Keras could not export the model as a SavedModel "
                f"({_first_line(exc)}); export it yourself with model.export(DIR)"
            ) from None
        return {"loaded_with": loader}

    def _load(self) -> tuple[Any, str]:
        use_keras3 = self.keras_major >= 3 or (self.kind == "keras" and self.keras_major == 0)
        try:
            if use_keras3:
                import keras

                model = keras.saving.load_model(
                    str(self.path), compile=False, safe_mode=not self.allow_unsafe
                )
                return model, f"keras {keras.__version__}"
            import tf_keras

            options: dict[str, Any] = {"compile": False}
            if self.kind == "keras":  # tf_keras's safe mode covers its .keras format only
                options["safe_mode"] = not self.allow_unsafe
            legacy = _keras2_defaults(self.path) if self.kind == "h5" else None
            if legacy is not None:
                config, restored = legacy
                model = tf_keras.models.model_from_json(config)
                model.load_weights(str(self.path))
                return model, f"tf_keras {tf_keras.__version__} ({restored})"
            model = tf_keras.models.load_model(str(self.path), **options)
            return model, f"tf_keras {tf_keras.__version__}"
        except Exception as exc:  # Keras raises ValueError, TypeError, ... for bad files
            missing = _missing_function(exc)
            if missing is not None:
                raise BadInputError(f"{self.display_path}: {missing}") from None
            raise BadInputError(
                f"{self.display_path}: Keras could not load the model: {_first_line(exc)}"
                + self._advice(exc)
            ) from None

    def _advice(self, exc: BaseException) -> str:
        """What to do, when the error says what the problem is; nothing that does not fit."""
        text = str(exc)
        if any(word in text for word in ("Unknown layer", "Unknown object", "custom", "Lambda")):
            hint = "" if self.allow_unsafe else " (or pass --allow-unsafe if you trust it)"
            return f"; load it where its custom classes are defined and export a SavedModel{hint}"
        return "; if another Keras version saved it, load it there and export a SavedModel"


# Defaults that Keras 2.0 files leave out and later Keras assumes otherwise: (layer, key, the
# value Keras 2.0 behaved with). A GRU saved by Keras 2.0 computes with reset_after=False;
# tf_keras's default is True, with another bias shape, so the weights would not load.
_KERAS2_IMPLIED = (("GRU", "reset_after", False), ("CuDNNGRU", "reset_after", False))


def _keras2_defaults(path: Path) -> tuple[str, str] | None:
    """(the .h5 model config with the defaults its Keras version implied, what was restored);
    None when nothing is missing."""
    import h5py

    with h5py.File(path, "r") as h5:
        raw = h5.attrs.get("model_config")
    config = json.loads(_text(raw))
    restored: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            for layer, key, implied in _KERAS2_IMPLIED:
                inner = value.get("config")
                if (
                    value.get("class_name") == layer
                    and isinstance(inner, dict)
                    and key not in inner
                ):
                    inner[key] = implied
                    restored.add(f"{layer} {key}={implied}")
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(config)
    if not restored:
        return None
    return json.dumps(config), "Keras 2.0 defaults restored: " + ", ".join(sorted(restored))


# Keras: "Unknown activation function: 'swish2'" (a function the file names by name only).
_UNKNOWN_FUNCTION = re.compile(r"Unknown ([a-z_ ]*?) ?function: '([^']{1,200})'")
_LAYER_NAME = re.compile(r"using config=\{'name': '([^']{1,200})'")


def _missing_function(exc: BaseException) -> str | None:
    """The message for a function Keras could not find when loading (one the config check
    before loading does not know of): no loading option brings it back."""
    text = ""
    seen: BaseException | None = exc
    while seen is not None and len(text) < 100_000:
        text += str(seen) + "\n"
        seen = seen.__cause__ or seen.__context__
    found = _UNKNOWN_FUNCTION.search(text)
    if found is None:
        return None
    layer = _LAYER_NAME.search(text)
    role = (found.group(1) or "").strip()
    return MissingFunction(layer.group(1) if layer else "", found.group(2), role).message()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
