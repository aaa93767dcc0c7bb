"""A Keras file loaded in a worker and exported as a SavedModel (``model.export()``).

Runs in a worker process (imports Keras and TensorFlow when called). The file was checked in
the main process first (keras_inspect.py); it loads with safe mode on unless the user allowed
unsafe content. RNN layers over a fixed-length sequence are rebuilt unrolled first
(keras_unroll.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInputError
from .keras_inspect import MissingFunction, h5_attribute_text
from .keras_unroll import unroll_recurrent_layers


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
        package = "keras" if loader.startswith("keras ") else "tf_keras"
        model, unrolling = unroll_recurrent_layers(model, package)
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
        return {"loaded_with": loader, **unrolling.provenance()}

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
    import h5py  # type: ignore[import-untyped]

    with h5py.File(path, "r") as h5:
        raw = h5.attrs.get("model_config")
    config = json.loads(h5_attribute_text(raw))
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
