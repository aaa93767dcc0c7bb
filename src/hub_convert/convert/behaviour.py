"""Base and head on the same inputs: the base model's original run on the head's validation
samples, each output compared with the head original's (convert/drift.py's metrics, no
tolerance: a retrained model differs, and the question is by how much).

Runs inside a worker process (imports TensorFlow lazily, through signature.py).
"""

from __future__ import annotations

import numpy as np

from ..report.artifact import Tolerance
from ..report.comparison_schema import Behaviour, OutputBehaviour
from ..report.source_info import TensorInfo
from .drift import compare_output
from .samples import Samples
from .signature import (
    choose_signature,
    choose_tags,
    load_signature,
    read_meta_graphs,
    run_reference,
    signature_io,
)
from .specs import BehaviourSpec
from .tf_errors import one_line


def compare_behaviour(spec: BehaviourSpec) -> Behaviour:
    """How far the base's outputs are from the head's on the head's inputs, per output."""
    samples = Samples.load(spec.samples_path)
    where = str(spec.saved_model_dir)
    proto = read_meta_graphs(spec.saved_model_dir)
    tags = choose_tags(proto, spec.tags, where)
    meta_graph = next(mg for mg in proto.meta_graphs if sorted(mg.meta_info_def.tags) == tags)
    available = sorted(k for k in meta_graph.signature_def if not k.startswith("__"))
    loaded, function = load_signature(
        spec.saved_model_dir, tags, choose_signature(available, spec.signature, where)
    )
    inputs, outputs = signature_io(function)
    refusal = incompatible_inputs(inputs, samples)
    if refusal is not None:
        return Behaviour(compared=False, reason=refusal)
    feeds = [{t.name: sample[t.name] for t in inputs} for sample in samples.inputs]
    try:
        base_outputs = run_reference(function, feeds)
    except Exception as exc:  # the base model refused inputs its own signature accepts
        return Behaviour(
            compared=False,
            reason=f"the base model failed on the head's inputs: {one_line(exc)}",
        )
    del loaded
    base_names = {t.name for t in outputs}
    rows = []
    for name in samples.output_names:
        if name not in base_names:
            rows.append(OutputBehaviour(output=name, problem="the base model has no such output"))
            continue
        drift = compare_output(
            name, samples.reference(name), [o[name] for o in base_outputs], Tolerance()
        )
        rows.append(
            OutputBehaviour(
                output=name,
                max_abs=drift.max_abs,
                mean_abs=drift.mean_abs,
                cosine=drift.cosine,
                top1_agreement=drift.top1_agreement,
                problem=drift.problem,
            )
        )
    return Behaviour(compared=True, samples=len(feeds), outputs=rows)


def incompatible_inputs(inputs: list[TensorInfo], samples: Samples) -> str | None:
    """Why the head's samples cannot be fed to a signature with ``inputs``, or None."""
    if not samples.inputs:
        return "the head run recorded no validation inputs"
    first = samples.inputs[0]
    for tensor in inputs:
        if tensor.name not in first:
            return f"the base model needs input {tensor.name!r}, which the head model does not have"
        value = first[tensor.name]
        try:
            dtype_matches = np.dtype(tensor.dtype) == value.dtype
        except TypeError:  # "string" and other TensorFlow-only names
            dtype_matches = tensor.dtype == "string" and value.dtype.kind in "OSU"
        if not dtype_matches:
            return f"input {tensor.name!r} is {tensor.dtype} at base, {value.dtype} at head"
        declared = tensor.shape
        fits = len(declared) == value.ndim and all(
            d is None or d == n for d, n in zip(declared, value.shape, strict=True)
        )
        if not fits:
            shape = list(value.shape)
            return (
                f"input {tensor.name!r}: the head's inputs have shape {shape}, which the base "
                f"model's declared shape {declared} does not accept"
            )
    return None
