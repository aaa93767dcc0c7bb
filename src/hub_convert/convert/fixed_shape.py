"""The signature at the validation shape, saved once as a SavedModel for every TFLite variant.

Dynamic input dimensions are fixed to the validation shape before conversion (see
targets/tflite.py for why). Runs inside a worker process (imports TensorFlow lazily).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ..report.source_info import TensorInfo
from .graph_facts import FREEZE_LIMIT, GraphFacts, variable_bytes
from .op_types import converted_op_types, converted_op_types_of
from .specs import EXPORTED_SIGNATURE, FixedShapeModel

# Functional control flow, which freezing lowers (to Switch/Merge, Enter/Exit) for the op list.
_CONTROL_FLOW_OPS = frozenset(
    {"If", "StatelessIf", "While", "StatelessWhile", "Case", "StatelessCase"}
)


def fixed_shape_function(loaded: Any, function: Any, shapes: dict[str, tuple[int, ...]]) -> Any:
    """A concrete function with static input shapes that calls the signature function."""
    import tensorflow as tf

    names = sorted(shapes)
    dtypes = {name: spec.dtype for name, spec in function.structured_input_signature[1].items()}
    specs = [tf.TensorSpec(shapes[name], dtypes[name], name=name) for name in names]

    @tf.function(input_signature=specs)  # type: ignore[untyped-decorator]
    def serving(*args: Any) -> Any:
        return function(**dict(zip(names, args, strict=True)))

    return serving.get_concrete_function()


def export_fixed_shape(
    loaded: Any,
    function: Any,
    shapes: dict[str, tuple[int, ...]],
    directory: Path,
    frozen_ops: list[str] | None = None,
) -> list[str] | None:
    """Save the signature at the validation shape as a SavedModel in ``directory``, once for
    every variant; return the op types the converter sees, or None when it cannot be saved.

    ``TFLiteConverter.from_concrete_functions`` saves the concrete function with its trackable
    object into a temporary SavedModel and converts that, on every ``convert()``, and
    ``convert()`` loads that SavedModel twice (measured on MobileNetV2: more time than the
    conversion itself). Here the function is saved once, with the same options, and the
    variants convert it with ``from_saved_model``. It is saved with only the variables it
    captures, which loads in half the time of the whole object; a function that captures
    other resources (tables) is saved with the whole object, as the converter does. The files
    differ from the concrete-function path's only in the conversion metadata's model type
    (test_toolchain_facts.py). When it cannot be saved at all, the variants take the
    concrete-function path, which then falls back to converting the frozen graph.

    ``frozen_ops``: the signature's op types frozen without lowering control flow (prepare
    has them); without functional control flow among them they are the converter's too, and
    the function is not frozen again.
    """
    import tensorflow as tf

    concrete = fixed_shape_function(loaded, function, shapes)
    variables_only = tf.Module()
    variables_only.captured = list(concrete.variables)
    for owner in (variables_only, loaded):
        try:
            tf.saved_model.save(
                owner,
                str(directory),
                signatures={EXPORTED_SIGNATURE: concrete},
                options=tf.saved_model.SaveOptions(save_debug_info=True),
            )
        except Exception:  # an untracked resource; or what the converter's save fails on too
            shutil.rmtree(directory, ignore_errors=True)
            continue
        if frozen_ops is not None and not _CONTROL_FLOW_OPS & set(frozen_ops):
            return sorted(frozen_ops)
        return frozen_op_types(concrete)
    return None


def frozen_op_types(concrete: Any) -> list[str]:
    """Op types the converter actually sees: the function inlined, variables frozen (read from
    the unfrozen graph when freezing a copy would cost gigabytes: the same op types)."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    if variable_bytes(concrete) > FREEZE_LIMIT:
        return converted_op_types(concrete.graph.as_graph_def())
    try:
        frozen = convert_variables_to_constants_v2(concrete)
    except Exception:  # e.g. Grappler cannot import an Estimator's graph: the converter
        # may still convert it, and its error, if any, is the one worth reporting
        return converted_op_types(concrete.graph.as_graph_def())
    return converted_op_types(frozen.graph.as_graph_def())


def export_for_variants(
    loaded: Any,
    function: Any,
    inputs: list[TensorInfo],
    facts: GraphFacts | None,
    directory: Path,
) -> FixedShapeModel | None:
    """Save the signature at the inputs' validation shapes while the model is loaded, once for
    every TFLite variant; None when it cannot be saved there."""
    shapes = {t.name: tuple(t.validation_shape or ()) for t in inputs}
    frozen = converted_op_types_of(facts.op_counts) if facts else None
    try:
        source_ops = export_fixed_shape(loaded, function, shapes, directory, frozen)
    except Exception:  # e.g. tracing fails at that shape: each TFLite
        # variant then tries the signature itself and fails as an artifact with the
        # cause, rather than the whole run stopping here for what only TFLite needs.
        source_ops = None
    if source_ops is None:
        return None
    return FixedShapeModel(directory, source_ops)
