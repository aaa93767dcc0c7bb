"""Every node output of an ONNX file on one sample, each added as a graph output.

tf2onnx names a node's output after the TF node it converted (``node:0``); it works in NCHW
between the Transposes it inserts, so each tensor's layout is followed from those Transposes
(guessing it from the shape fails where H = W = C).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .converted import NCHW, NHWC, ConvertedRun, ConvertedTensor

_TO_NCHW = [0, 3, 1, 2]
_TO_NHWC = [0, 2, 3, 1]


def run_onnx(path: Path, sample: dict[str, np.ndarray]) -> ConvertedRun:
    """Run ``path`` on ``sample`` returning every activation tensor with its layout."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(path))
    graph_inputs = [i.name for i in model.graph.input]
    known = {o.name for o in model.graph.output}
    layouts = dict.fromkeys(graph_inputs, NHWC)
    plan: list[tuple[str, str, list[str], str]] = []  # output, op, inputs read, layout
    for node in model.graph.node:
        reads = [name for name in node.input if name in layouts]
        if not reads:
            continue  # constant folding left inside the graph
        layout = layouts[reads[0]]
        if node.op_type == "Transpose":
            perm = next((list(a.ints) for a in node.attribute if a.name == "perm"), [])
            layout = NCHW if perm == _TO_NCHW else NHWC if perm == _TO_NHWC else layout
        for output in node.output:
            if not output:
                continue
            layouts[output] = layout
            plan.append((output, node.op_type, reads, layout))
            if output not in known:
                model.graph.output.append(onnx.ValueInfoProto(name=output))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    wanted = [o.name for o in session.get_outputs()]
    values = dict(zip(wanted, session.run(wanted, sample), strict=True))
    tensors = [
        ConvertedTensor(
            output, [_node_name(output)], op, reads, np.asarray(values[output]), layout, output
        )
        for output, op, reads, layout in plan
        if output in values and isinstance(values[output], np.ndarray)
    ]
    return ConvertedRun(tensors, graph_inputs)


def _node_name(tensor: str) -> str:
    node, _, index = tensor.rpartition(":")
    return node if node and index.isdigit() and index == "0" else tensor
