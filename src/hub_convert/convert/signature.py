"""The signature to convert: read from the SavedModel's protobuf, chosen, loaded, described, run.

Runs inside a worker process (imports TensorFlow lazily).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BadInputError
from ..report.source_info import TensorInfo
from .specs import Selection

DEFAULT_SIGNATURE = "serving_default"
DEFAULT_TAGS = ("serve",)
# TF1 Hub modules: the inference graph is the empty tag set, the main signature "default".
TF1_HUB_SIGNATURE = "default"


def read_meta_graphs(saved_model_dir: Path) -> Any:
    """The SavedModel protobuf (tag sets, signature defs, graph and function library)."""
    from google.protobuf import text_format
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    binary = saved_model_dir / "saved_model.pb"
    try:
        if binary.is_file():
            proto.ParseFromString(binary.read_bytes())
        else:
            text_format.Parse((saved_model_dir / "saved_model.pbtxt").read_text(), proto)
    except Exception as exc:  # protobuf raises DecodeError / ParseError
        raise BadInputError(
            f"{saved_model_dir}: saved_model.pb is not a valid SavedModel ({exc}); "
            "re-export the model"
        ) from exc
    return proto


def choose_tags(proto: Any, requested: tuple[str, ...] | None, where: str) -> list[str]:
    """The tag set to load: the requested one, else ``serve``, else the only one there is."""
    tag_sets = [sorted(mg.meta_info_def.tags) for mg in proto.meta_graphs]
    shown = "; ".join(",".join(t) or "(empty)" for t in tag_sets)
    if requested is not None:
        if sorted(requested) in tag_sets:
            return sorted(requested)
        raise BadInputError(
            f"{where}: no MetaGraph with tags {','.join(requested) or '(empty)'}; "
            f"available tag sets: {shown}; pass one with --tags"
        )
    if sorted(DEFAULT_TAGS) in tag_sets:
        return sorted(DEFAULT_TAGS)
    if len(tag_sets) == 1:
        return tag_sets[0]
    if [] in tag_sets:  # a TF1 Hub module ({} for inference, {"train"}), e.g. from a handle
        return []
    raise BadInputError(f"{where}: several tag sets ({shown}); choose one with --tags")


def choose_signature(available: list[str], requested: str | None, where: str) -> str:
    """The signature to convert: the requested one, else ``serving_default``, else the only
    one there is, else a TF1 Hub module's ``default``."""
    if not available:
        raise BadInputError(
            f"{where}: the SavedModel has no signatures; export it with a serving signature "
            "(Keras: model.export(); tf.saved_model.save(obj, dir, signatures=...))"
        )
    if requested is not None:
        if requested in available:
            return requested
        raise BadInputError(
            f"{where}: no signature {requested!r}; available: {', '.join(available)}"
        )
    if DEFAULT_SIGNATURE in available:
        return DEFAULT_SIGNATURE
    if len(available) == 1:
        return available[0]
    if TF1_HUB_SIGNATURE in available:  # a TF1 Hub module's main signature
        return TF1_HUB_SIGNATURE
    raise BadInputError(
        f"{where}: no {DEFAULT_SIGNATURE!r} signature; choose one with --signature "
        f"from: {', '.join(available)}"
    )


def _dims(shape: Any) -> list[int | None]:
    return (
        [None if d is None else int(d) for d in shape.as_list()] if shape.rank is not None else []
    )


def load_signature(saved_model_dir: Path, tags: list[str], signature: str) -> Any:
    """Load the SavedModel and return (loaded object, signature function)."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(saved_model_dir), tags=tags)
    return loaded, loaded.signatures[signature]


def signature_io(function: Any) -> tuple[list[TensorInfo], list[TensorInfo]]:
    """Inputs and outputs of a signature function, sorted by name."""
    args, kwargs = function.structured_input_signature
    if args:
        raise BadInputError("signature takes positional inputs; hub-convert needs named inputs")
    inputs = [
        TensorInfo(name=name, dtype=spec.dtype.name, shape=_dims(spec.shape))
        for name, spec in sorted(kwargs.items())
    ]
    structured = function.structured_outputs
    if not isinstance(structured, dict):
        structured = {"output_0": structured}
    outputs = [
        TensorInfo(name=name, dtype=spec.dtype.name, shape=_dims(spec.shape))
        for name, spec in sorted(structured.items())
    ]
    return inputs, outputs


def select_meta_graph(
    proto: Any, tags: tuple[str, ...] | None, signature: str | None, where: str
) -> tuple[Selection, Any]:
    """The tag set and signature to convert from a parsed SavedModel, and that MetaGraph."""
    chosen_tags = choose_tags(proto, tags, where)
    meta_graph = next(
        mg for mg in proto.meta_graphs if sorted(mg.meta_info_def.tags) == chosen_tags
    )
    # "__saved_model_init_op" and friends are TF's own bookkeeping, not callable signatures.
    available = sorted(k for k in meta_graph.signature_def if not k.startswith("__"))
    chosen = choose_signature(available, signature, where)
    input_names = sorted(meta_graph.signature_def[chosen].inputs)
    return Selection(chosen_tags, chosen, available, input_names), meta_graph


def select(
    saved_model_dir: Path, tags: tuple[str, ...] | None, signature: str | None, where: str
) -> Selection:
    """The tag set and signature to convert, read from the protobuf (nothing loaded or run):
    what a conversion that does not need the samples can start from."""
    return select_meta_graph(read_meta_graphs(saved_model_dir), tags, signature, where)[0]


def run_reference(function: Any, samples: list[dict[str, np.ndarray]]) -> list[dict[str, Any]]:
    """The original model's outputs for each sample, as numpy arrays."""
    import tensorflow as tf

    results = []
    for sample in samples:
        outputs = function(**{name: tf.constant(value) for name, value in sample.items()})
        if not isinstance(outputs, dict):
            outputs = {"output_0": outputs}
        results.append({name: np.asarray(tensor.numpy()) for name, tensor in outputs.items()})
    return results
