"""Keras RNN layers rebuilt unrolled, so the TFLite file runs on builtins. Runs in a worker.

A Keras RNN layer runs a while loop over the time steps whose state is a TensorList. The
SavedModel's function was traced with the batch dimension unknown, so the list's element
shape is not static, and TFLite's converter cannot lower it to builtins ("'tf.TensorListReserve'
op requires element_shape to be static"): the file needs Flex, which LiteRT's Python
interpreter cannot run, and is not validated. A layer built with ``unroll=True`` has no loop
(one cell call per time step, the same weights and the same arithmetic), which needs the time
dimension static. So a layer whose input has a fixed length is rebuilt unrolled, tf_keras's
``LSTM`` too: TFLite fuses some of them into its UNIDIRECTIONAL_SEQUENCE_LSTM builtin, but not
all (measured with TF 2.21: a stacked LSTM, one LSTM's sequences into another, keeps its
loop), and which ones is the converter's business. Not unrolled, with the reason in the
report's provenance:

- a layer over a sequence of unknown length: there is nothing to unroll to;
- a layer past the budget of MAX_UNROLLED_STEPS cell calls for the whole model (a
  Bidirectional layer counts its steps twice): one cell per step grows the graph, and every
  converter's time with it (measured: a model with a GRU over 200 steps, 3.5 min in all; one
  over 495 steps, 14 min, against 20 s with its loop);
- a stateful layer: its state outlives one call;
- a layer inside a model nested in the model: clone_model rebuilds the top level only.

When one layer keeps its loop, none is unrolled: the TFLite file needs Flex all the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_RECURRENT = frozenset({"SimpleRNN", "GRU", "LSTM", "RNN"})
MAX_UNROLLED_STEPS = 256
_WRAPPERS = frozenset({"Bidirectional"})


@dataclass
class Unrolling:
    """The layers rebuilt unrolled, and the loops kept with why (``name (Class): why``)."""

    unrolled: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def provenance(self) -> dict[str, str]:
        """What the report's provenance says about the model's RNN layers."""
        notes = {}
        if self.unrolled:
            notes["rnn_unrolled"] = ", ".join(self.unrolled) + " (fixed sequence length)"
        if self.kept:
            notes["rnn_loops_kept"] = "; ".join(self.kept)
        return notes


def _recurrent(layer: Any) -> Any | None:
    """The RNN layer itself, or the one a Bidirectional wrapper holds."""
    name = type(layer).__name__
    if name in _WRAPPERS:
        return getattr(layer, "forward_layer", None) or getattr(layer, "layer", None)
    return layer if name in _RECURRENT else None


def _time_steps(layer: Any) -> int | None:
    """The fixed length of the sequence the layer reads; None when unknown or ambiguous."""
    try:
        shape = tuple(layer.input.shape)
    except (AttributeError, ValueError, RuntimeError):  # shared layers have several inputs
        return None
    if len(shape) < 3 or shape[1] is None:
        return None
    return int(shape[1])


def _directions(layer: Any) -> int:
    return 2 if type(layer).__name__ in _WRAPPERS else 1


def _layers(model: Any) -> Iterator[Any]:
    yield from getattr(model, "layers", [])


def _nested_rnns(layer: Any) -> Iterator[Any]:
    """RNN layers of a model nested in the model (clone_model rebuilds the top level)."""
    for inner in _layers(layer):
        rnn = _recurrent(inner)
        if rnn is not None and not getattr(rnn, "unroll", True):
            yield inner
        yield from _nested_rnns(inner)


def plan(model: Any) -> tuple[set[str], Unrolling]:
    """The names of the layers to rebuild unrolled, and what the report says."""
    chosen: set[str] = set()
    result = Unrolling()
    spent = 0  # cell calls of the layers chosen so far
    for layer in _layers(model):
        nested = [f"{inner.name} ({type(inner).__name__})" for inner in _nested_rnns(layer)]
        if nested:
            result.kept.append(
                f"{', '.join(nested)}: inside the nested model {layer.name}, which is not "
                "rebuilt, so they stay while loops (TFLite: Flex TensorList ops)"
            )
        rnn = _recurrent(layer)
        if rnn is None or getattr(rnn, "unroll", True):
            continue
        label = f"{layer.name} ({type(layer).__name__})"
        steps = _time_steps(layer)
        loop = "stays a while loop (TFLite: Flex TensorList ops)"
        if getattr(rnn, "stateful", False):
            result.kept.append(f"{label}: stateful (its state outlives one call), so it {loop}")
        elif steps is None:
            result.kept.append(
                f"{label}: its sequence length is not fixed in the file, so it cannot be "
                f"unrolled and {loop}"
            )
        elif spent + steps * _directions(layer) > MAX_UNROLLED_STEPS:
            result.kept.append(
                f"{label}: {steps} time steps, past the {MAX_UNROLLED_STEPS} cell calls "
                f"hub-convert unrolls in a model (a bigger graph converts too slowly), so it {loop}"
            )
        else:
            spent += steps * _directions(layer)
            chosen.add(layer.name)
            result.unrolled.append(label)
    if result.kept and chosen:  # one loop left needs Flex anyway: unrolling the rest only costs
        result.kept += [
            f"{label}: not unrolled, as another layer keeps its loop" for label in result.unrolled
        ]
        return set(), Unrolling(kept=result.kept)
    return chosen, result


def _unrolled_config(config: dict[str, Any]) -> dict[str, Any]:
    for key in ("layer", "backward_layer"):  # a Bidirectional wrapper's layers
        inner = config.get(key)
        if isinstance(inner, dict) and isinstance(inner.get("config"), dict):
            inner["config"]["unroll"] = True
    if "unroll" in config:
        config["unroll"] = True
    return config


def unroll_recurrent_layers(model: Any, package: str) -> tuple[Any, Unrolling]:
    """The model with its fixed-length RNN layers rebuilt unrolled (same weights), and what
    was done; the model itself when there is nothing to unroll or it cannot be rebuilt."""
    chosen, result = plan(model)
    if not chosen:
        return model, result
    if package == "tf_keras":
        import tf_keras as keras_package
    else:
        import keras as keras_package

    def clone(layer: Any) -> Any:
        config = layer.get_config()
        if layer.name in chosen:
            config = _unrolled_config(config)
        return type(layer).from_config(config)

    try:
        rebuilt = keras_package.models.clone_model(model, clone_function=clone)
        rebuilt.set_weights(model.get_weights())
    except Exception as exc:  # a model clone_model cannot rebuild: keep the loops, say why
        why = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        kept = [f"{label}: rebuilding it unrolled failed ({why})" for label in result.unrolled]
        return model, Unrolling(unrolled=[], kept=result.kept + kept)
    return rebuilt, result
