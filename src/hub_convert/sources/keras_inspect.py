"""A Keras file's model config read without TensorFlow, and checked for what runs code.

Loading a Keras file can run code from the file: a ``Lambda`` layer carries Python bytecode,
and a class outside Keras makes the deserializer import a module. Keras 3's ``safe_mode``
refuses the first for ``.keras``; ``tf_keras`` has no safe mode for ``.h5``. So the main
process reads the model config itself (``config.json`` inside the zip, the ``model_config``
attribute of the HDF5 file) and finds both, and the functions the config names but the file
does not hold.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BadInputError
from ..report.source_info import UnsafeOp
from ..safety.safe_read import MAX_JSON_BYTES, parse_json, read_zip_member
from .keras_config import unsafe_layers

# Packages Keras itself imports classes from when deserializing (keras.saving); a "module"
# outside them names user code that hub-convert does not have.
KERAS_PACKAGES = frozenset({"keras", "tf_keras", "keras_hub", "keras_cv", "keras_nlp"})
# TensorFlow's own classes that Keras 2.13-2.15 names with their module when a model uses
# them: tf.random_normal_initializer() and the like are init_ops_v2 (init_ops: tf.compat.v1)
# classes. tf_keras reads them by class name as its own initializers of that name; they
# hold numbers only. Anything else from TensorFlow is not known to be safe to import.
TENSORFLOW_CLASSES: dict[str, frozenset[str]] = dict.fromkeys(
    ("tensorflow.python.ops.init_ops_v2", "tensorflow.python.ops.init_ops"),
    frozenset(
        {
            "Constant",
            "GlorotNormal",
            "GlorotUniform",
            "Identity",
            "Ones",
            "Orthogonal",
            "RandomNormal",
            "RandomUniform",
            "TruncatedNormal",
            "VarianceScaling",
            "Zeros",
        }
    ),
)
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
        """Why the model cannot load, and what to do instead."""
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
        """The major Keras version that saved the file; 0 when it does not say."""
        head = self.keras_version.split(".", 1)[0]
        return int(head) if head.isdigit() else 0


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
        keras_version=h5_attribute_text(raw_version),
        unsafe=list(unsafe_objects(config)),
        unsafe_ops=unsafe_layers(config),
        missing=list(missing_functions(config)),
    )


def h5_attribute_text(value: Any) -> str:
    """An HDF5 attribute as text: h5py gives bytes or str, depending on how it was written."""
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
        if ">" in class_name or (isinstance(module, str) and not _known_module(module, class_name)):
            where = f" from module {module}" if isinstance(module, str) else ""
            yield UnsafeObject(layer, f"uses the custom class {class_name!r}{where}")
            return
    for value in config.values():
        yield from unsafe_objects(value, layer)


def _known_module(module: str, class_name: str) -> bool:
    """A class Keras deserializes from its own packages, or one of TensorFlow's own data-only
    classes (TENSORFLOW_CLASSES)."""
    if module.split(".", 1)[0] in KERAS_PACKAGES:
        return True
    return class_name in TENSORFLOW_CLASSES.get(module, frozenset())


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
