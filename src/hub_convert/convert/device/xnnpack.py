"""XNNPACK coverage of a .tflite file.

With delegate node fusion disabled, the Interpreter gives XNNPACK one DELEGATE node per op it
takes; an op whose outputs no DELEGATE node produces stays on TFLite's own kernels (measured:
MobileNetV2 float32 65/65, int8 66/67 with SOFTMAX left)."""

from __future__ import annotations

from pathlib import Path

from ...report.device import OpLeftOut, XnnpackCoverage

DELEGATE = "DELEGATE"

# The Analyzer's gpu_compatibility answers "compatible" for every op in this LiteRT (Flex and
# CONV_3D included) and the GPU accelerator needs a WebGPU adapter: neither is a check.
GPU_NOT_CHECKED = (
    "not checked: LiteRT's GPU compatibility analyzer accepts every op in this version "
    "(Flex included), and running the GPU delegate needs a GPU this machine lacks"
)


def xnnpack_coverage(path: Path) -> XnnpackCoverage:
    """The ops of ``path`` XNNPACK takes, and those it leaves with their nodes."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(str(path), experimental_disable_delegate_node_fusion=True)
    interpreter.allocate_tensors()  # delegates are applied here
    ops = interpreter._get_ops_details()
    delegated: set[int] = set()
    for op in ops:
        if op["op_name"] == DELEGATE:
            delegated.update(int(i) for i in op["outputs"])
    tensors = {int(t["index"]): str(t["name"]) for t in interpreter.get_tensor_details()}
    kept = [op for op in ops if op["op_name"] != DELEGATE]
    left: dict[str, list[str]] = {}
    taken = 0
    for op in kept:
        outputs = [int(i) for i in op["outputs"]]
        if outputs and all(i in delegated for i in outputs):
            taken += 1
        else:
            node = tensors.get(outputs[0], f"op {op['index']}") if outputs else f"op {op['index']}"
            left.setdefault(str(op["op_name"]), []).append(node)
    return XnnpackCoverage(
        delegated_ops=taken,
        total_ops=len(kept),
        left_out=[OpLeftOut(op=op, nodes=nodes) for op, nodes in sorted(left.items())],
    )
