"""Which tensors of a frozen GraphDef are the model's inputs and outputs. Reads the GraphDef's
nodes only (no TensorFlow import, nothing run); the materializer (frozen_graph.py) does the
rest in a worker.

Defaults, as a TF1 user would feed the graph: its Placeholders the outputs need, except handles
(resource and variant tensors, and string handles read by Iterator ops: a tf.data iterator's,
which no random value can stand for); and each PlaceholderWithDefault whose default cannot be
computed without feeding something else (it reads an iterator or such a handle), as a training
script's ``img`` fed by ``IteratorGetNext`` is. A PlaceholderWithDefault whose default can be
computed (``training`` from a constant) keeps it: feeding a training switch random booleans
would change the model. Outputs are the graph's sinks (what no other node reads, constants and
no-ops left out), less those that cannot be computed from the inputs; ``--inputs`` and
``--outputs`` name others (a node, or one output of it as ``NAME:INDEX``), and ``--inputs
NAME=VALUE`` fixes a tensor to a value (``training=false``) instead of feeding it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import BadInputError
from .frozen_graph_checks import check_well_formed

# Nodes that are never a model's output, though nothing reads them.
_NOT_OUTPUTS = frozenset({"Const", "NoOp", "Placeholder", "PlaceholderWithDefault", "Assert"})
_PLACEHOLDERS = frozenset({"Placeholder", "PlaceholderWithDefault"})
# TensorFlow's DataType numbers (types.proto) of tensors that are handles, not data.
_DT_STRING, _DT_RESOURCE, _DT_VARIANT = 7, 20, 21
_DTYPE_NAMES = {1: "float32", 2: "float64", 3: "int32", 4: "uint8", 7: "string", 9: "int64"}
_DTYPE_NAMES |= {10: "bool", 19: "float16", 20: "resource", 21: "variant"}
_CANDIDATES_SHOWN = 5
# The report's provenance keys (``frozen_graph_<key>``), in the order a reader wants them.
_NOTE_ORDER = ("inputs", "fixed", "defaults_kept", "handles_not_fed", "outputs", "outputs_left_out")


@dataclass(frozen=True, order=True)
class TensorRef:
    """One output of one node: ``node:index``."""

    node: str
    index: int = 0

    @classmethod
    def parse(cls, text: str) -> TensorRef:
        """``name``, ``name:1`` or a control input ``^name`` as a node's input list writes it."""
        name, _, index = text.lstrip("^").partition(":")
        return cls(name, int(index) if index.isdigit() else 0)

    def __str__(self) -> str:
        return self.node if self.index == 0 else f"{self.node}:{self.index}"


@dataclass(frozen=True)
class GraphIO:
    """The chosen inputs and outputs, and why, for the report's provenance."""

    inputs: tuple[TensorRef, ...]
    outputs: tuple[TensorRef | str, ...]
    """A TensorRef names one output; a bare node name all of that node's outputs."""
    notes: dict[str, str] = field(default_factory=dict)
    fixed: dict[TensorRef, str] = field(default_factory=dict)
    """Tensors given a value by ``--inputs NAME=VALUE``: constants, not inputs."""


def choose_io(
    graph_def: Any, inputs: tuple[str, ...], outputs: tuple[str, ...], display_path: str
) -> GraphIO:
    """The graph's inputs and outputs: ``inputs`` / ``outputs`` when given (node names, an
    optional ``:INDEX``; an input ``NAME=VALUE`` is fixed to that value), else the defaults this
    module's docstring describes. BadInputError in one line when a name is not in the graph or
    nothing usable remains."""
    check_well_formed(graph_def, display_path)
    graph = _Graph(graph_def)
    named = {graph.ref(n.partition("=")[0], "--inputs", display_path): n for n in inputs}
    fixed = {ref: n.partition("=")[2] for ref, n in named.items() if "=" in n}
    given_inputs = tuple(ref for ref in named if ref not in fixed)
    notes: dict[str, str] = {}
    chosen_outputs: list[TensorRef | str]
    if outputs:
        # NAME: every output of the node; NAME:INDEX: that one.
        refs = [graph.ref(name, "--outputs", display_path) for name in outputs]
        chosen_outputs = [
            ref if ":" in name else ref.node for ref, name in zip(refs, outputs, strict=True)
        ]
        notes["frozen_graph_outputs"] = ", ".join(outputs) + " (--outputs)"
    else:
        chosen_outputs = list(graph.sinks())
        if not chosen_outputs:
            raise BadInputError(
                f"{display_path}: no output: every node is read by another (a cycle?) or is a "
                f"constant or placeholder; name them with --outputs (candidates: "
                f"{graph.candidates()})"
            )
        notes["frozen_graph_outputs"] = ", ".join(map(str, chosen_outputs)) + " (its sinks)"
    roots = [TensorRef(o) if isinstance(o, str) else o for o in chosen_outputs]
    if given_inputs:
        chosen_inputs = given_inputs
        for ref in given_inputs:
            graph.check_feedable(ref, display_path)
        notes["frozen_graph_inputs"] = ", ".join(map(str, given_inputs)) + " (--inputs)"
    else:  # only fixed values given: the rest as by default
        chosen_inputs = tuple(graph.default_inputs(roots, notes, set(fixed)))
    if fixed:
        notes["frozen_graph_fixed"] = ", ".join(f"{r} = {v}" for r, v in fixed.items())
    fed = set(chosen_inputs) | set(fixed)
    unread = fed - graph.reached(roots, fed)[0]
    if unread and inputs:
        raise BadInputError(
            f"{display_path}: --inputs {', '.join(map(str, sorted(unread)))}: no output reads "
            "it; name the inputs the outputs need, or other --outputs"
        )
    blocked = {str(o): graph.blocker(o, fed) for o in roots}
    blocked = {o: b for o, b in blocked.items() if b is not None}
    if blocked and (outputs or len(blocked) == len(roots)):
        output, blocker = next(iter(blocked.items()))
        raise BadInputError(
            f"{display_path}: output {output} needs {blocker}, which cannot be fed; pass "
            "--inputs (the tensors to feed, e.g. a PlaceholderWithDefault) and --outputs "
            f"(candidates: {graph.candidates()})"
        )
    if blocked:
        chosen_outputs = [
            o for o, r in zip(chosen_outputs, roots, strict=True) if str(r) not in blocked
        ]
        notes["frozen_graph_outputs_left_out"] = "; ".join(
            f"{o} (needs {b}, which cannot be fed)" for o, b in blocked.items()
        )
        notes["frozen_graph_outputs"] = ", ".join(map(str, chosen_outputs)) + " (its sinks)"
    unfed = graph.unfed_placeholders(roots, fed) if given_inputs else []
    if unfed:
        raise BadInputError(
            f"{display_path}: the outputs read {', '.join(unfed[:_CANDIDATES_SHOWN])}"
            f"{', ...' if len(unfed) > _CANDIDATES_SHOWN else ''} (Placeholder), left out of "
            "--inputs; add it to --inputs, or fix it with NAME=VALUE"
        )
    if not chosen_inputs:
        raise BadInputError(
            f"{display_path}: the outputs {', '.join(map(str, chosen_outputs))} read no input "
            f"that can be fed; pass --inputs and --outputs (candidates: {graph.candidates()})"
        )
    order = [f"frozen_graph_{key}" for key in _NOTE_ORDER]
    ordered = {key: notes[key] for key in order if key in notes}
    return GraphIO(chosen_inputs, tuple(chosen_outputs), ordered, fixed)


class _Graph:
    """A GraphDef's nodes, who reads whom, and what each placeholder is."""

    def __init__(self, graph_def: Any) -> None:
        self.nodes: dict[str, Any] = {node.name: node for node in graph_def.node}
        self.readers: dict[str, list[Any]] = {}
        for node in graph_def.node:
            for edge in node.input:
                self.readers.setdefault(TensorRef.parse(edge).node, []).append(node)

    def ref(self, name: str, option: str, display_path: str) -> TensorRef:
        """``name`` as a TensorRef, refused in one line when the graph has no such node."""
        ref = TensorRef.parse(name)
        if ref.node not in self.nodes:
            close = difflib.get_close_matches(ref.node, list(self.nodes), n=_CANDIDATES_SHOWN)
            raise BadInputError(
                f"{display_path}: {option} {name}: no node of that name in the graph; "
                f"candidates: {', '.join(close) if close else self.candidates()}"
            )
        return ref

    def candidates(self) -> str:
        """A few names a user may mean: placeholders first, then the sinks."""
        names = [n for n, node in self.nodes.items() if node.op in _PLACEHOLDERS]
        names += [n for n in self.sinks() if n not in names]
        shown = names[:_CANDIDATES_SHOWN]
        return ", ".join(shown) + (", ..." if len(names) > len(shown) else "")

    def sinks(self) -> Iterator[str]:
        """Nodes nothing reads, constants, placeholders and no-ops left out."""
        for name, node in self.nodes.items():
            if name not in self.readers and node.op not in _NOT_OUTPUTS:
                yield name

    def dtype(self, node: Any) -> int:
        return int(node.attr["dtype"].type) if "dtype" in node.attr else 0

    def handle_kind(self, node: Any) -> str | None:
        """What makes a Placeholder a handle rather than data (None: it is data)."""
        dtype = self.dtype(node)
        if dtype in (_DT_RESOURCE, _DT_VARIANT):
            return f"a {_DTYPE_NAMES[dtype]} handle"
        readers = self.readers.get(node.name, [])
        if dtype == _DT_STRING and any("Iterator" in reader.op for reader in readers):
            ops: list[str] = sorted({reader.op for reader in readers})
            return "a string handle read by " + ops[0]
        return None

    def blocks(self, node: Any) -> bool:
        """Whether computing through ``node`` needs something no feed can give."""
        if "Iterator" in node.op:
            return True
        return node.op == "Placeholder" and self.handle_kind(node) is not None

    def check_feedable(self, ref: TensorRef, display_path: str) -> None:
        """Refuse a named input that is a handle, not data, in one line."""
        node = self.nodes[ref.node]
        handle = self.handle_kind(node) if node.op in _PLACEHOLDERS else None
        if handle is not None:
            raise BadInputError(
                f"{display_path}: --inputs {ref}: {handle}, not data; name the tensors it "
                f"stands for (candidates: {self.candidates()})"
            )

    def reached(
        self, roots: Iterable[TensorRef], fed: set[TensorRef]
    ) -> tuple[set[TensorRef], list[tuple[TensorRef, Any]]]:
        """The fed tensors the roots read, and each (edge, node) past which the walk from the
        roots reaches a node that blocks it."""
        reached: set[TensorRef] = set()
        blocked: list[tuple[TensorRef, Any]] = []
        seen: set[str] = set()
        reached |= set(roots) & fed
        stack = [r for r in roots if r not in fed]
        while stack:
            node = self.nodes[stack.pop().node]
            if node.name in seen:
                continue
            seen.add(node.name)
            for edge in node.input:
                ref = TensorRef.parse(edge)
                if ref in fed:
                    reached.add(ref)
                elif self.blocks(self.nodes[ref.node]):
                    blocked.append((ref, self.nodes[ref.node]))
                else:
                    stack.append(ref)
        return reached, blocked

    def unfed_placeholders(self, roots: Iterable[TensorRef], fed: set[TensorRef]) -> list[str]:
        """The data Placeholders (not handles) the roots read past the ``fed`` tensors."""
        found: set[str] = set()
        seen: set[str] = set()
        stack = [r for r in roots if r not in fed]
        while stack:
            node = self.nodes[stack.pop().node]
            if node.name in seen:
                continue
            seen.add(node.name)
            if node.op == "Placeholder":
                found |= {node.name} if self.handle_kind(node) is None else set()
                continue
            stack += [r for r in map(TensorRef.parse, node.input) if r not in fed]
        return sorted(found)

    def blocker(self, root: TensorRef, fed: set[TensorRef]) -> str | None:
        """What ``root`` needs that cannot be fed, as ``tensor (op)``; None: nothing."""
        if root in fed:
            return None
        if self.blocks(self.nodes[root.node]):
            return _described(root, self.nodes[root.node])
        _, blocked = self.reached([root], fed)
        return None if not blocked else _described(*blocked[0])

    def default_inputs(
        self, roots: list[TensorRef], notes: dict[str, str], fixed: set[TensorRef]
    ) -> list[TensorRef]:
        """The placeholders the roots read that can be fed (see the module's docstring), the
        walk stopping at the ``fixed`` tensors; why each was taken or not goes into
        ``notes``."""
        taken: dict[str, str] = {}
        kept: dict[str, str] = {}
        handles: dict[str, str] = {}
        fed: set[TensorRef] = set()
        stack = list(roots)
        seen: set[str] = set()
        while stack:
            ref = stack.pop()
            node = self.nodes[ref.node]
            if node.name in seen or ref in fixed:
                continue
            seen.add(node.name)
            if node.op == "Placeholder":
                handle = self.handle_kind(node)
                if handle:
                    handles[node.name] = handle
                else:
                    taken[node.name] = f"Placeholder, {self._dtype_name(node)}"
                    fed.add(TensorRef(node.name))
                continue
            if node.op == "PlaceholderWithDefault":
                default = TensorRef.parse(node.input[0])
                blocker = self.blocker(default, fed | fixed)
                if blocker is not None:
                    taken[node.name] = f"PlaceholderWithDefault whose default needs {blocker}"
                    fed.add(TensorRef(node.name))
                    continue
                kept[node.name] = f"{self._dtype_name(node)}, {self._default_text(default)}"
            stack += [TensorRef.parse(edge) for edge in node.input]
        for key, found in (
            ("frozen_graph_inputs", taken),
            ("frozen_graph_defaults_kept", kept),
            ("frozen_graph_handles_not_fed", handles),
        ):
            if found:
                notes[key] = "; ".join(f"{name} ({why})" for name, why in sorted(found.items()))
        order = {name: position for position, name in enumerate(self.nodes)}
        return sorted(fed, key=lambda ref: order[ref.node])

    def _dtype_name(self, node: Any) -> str:
        dtype = self.dtype(node)
        return _DTYPE_NAMES.get(dtype, f"dtype {dtype}")

    def _default_text(self, default: TensorRef) -> str:
        """``default True``: a scalar constant's value, else the node it is computed by."""
        node = self.nodes[default.node]
        tensor = node.attr["value"].tensor if node.op == "Const" else None
        if tensor is not None and not tensor.tensor_shape.dim:
            for values in (tensor.bool_val, tensor.int_val, tensor.int64_val, tensor.float_val):
                if len(values) == 1:
                    return f"default {values[0]}"
        return f"default computed by {default.node} ({node.op})"


def _described(ref: TensorRef, node: Any) -> str:
    """``IteratorGetNext:1``, or ``handle (IteratorV2)`` when the name does not say the op."""
    return str(ref) if ref.node.split("/")[-1].startswith(node.op) else f"{ref} ({node.op})"
