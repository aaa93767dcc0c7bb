"""ONNX Runtime Mobile's view of an .onnx file: NNAPI, CoreML NeuralNetwork and CoreML
MLProgram partitions, by the functions behind ONNX Runtime's own usability checker (its CLI only
logs and always exits 0)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ...report.device import MobilePartitions, MobileProvider, OpLeftOut

COREML_OP_LISTS: dict[MobileProvider, str] = {
    "CoreML NeuralNetwork": "coreml_supported_neuralnetwork_ops.md",
    "CoreML MLProgram": "coreml_supported_mlprogram_ops.md",
}

SHAPES_FIXED_NOTE = (
    "partitions assume the dynamic input dimensions are fixed on the device "
    "(onnxruntime.tools.make_dynamic_shape_fixed), as mobile deployments do"
)


def mobile_partitions(path: Path) -> tuple[list[MobilePartitions], bool]:
    """Partitions per provider after ONNX Runtime's basic optimizations, as ORT Mobile would
    load the file; and whether the file has dynamic input dimensions (then the partitions
    assume them fixed, as ORT's checker's second pass does)."""
    from onnxruntime.tools.mobile_helpers import usability_checker as checker
    from onnxruntime.tools.onnx_model_utils import optimize_model

    with tempfile.TemporaryDirectory() as work:
        optimized = Path(work) / path.name
        optimize_model(path, optimized, use_external_initializers=True)
        model = checker.ModelProtoWithShapeInfo(optimized).model_with_shape_info
        dynamic_inputs, _ = checker.check_shapes(model.graph)
        fixed = not dynamic_inputs
        results = [_partitions("NNAPI", checker.check_nnapi_partitions(model, fixed), model)]
        for provider, op_list in COREML_OP_LISTS.items():
            info = checker.check_coreml_partitions(model, fixed, op_list)
            results.append(_partitions(provider, info, model))
    return results, bool(dynamic_inputs)


def _partitions(provider: MobileProvider, info: Any, model: Any) -> MobilePartitions:
    unsupported: dict[str, list[str]] = {}
    ops_checker = info.supported_ops_checker
    for node in model.graph.node:  # the nodes of the unsupported op types, named
        if not ops_checker.is_op_supported(node):
            unsupported.setdefault(_op_name(node), []).append(node.name or node.output[0])
    for op in info.unsupported_ops:
        unsupported.setdefault(str(op).removeprefix("ai.onnx:"), [])
    return MobilePartitions(
        provider=provider,
        supported_nodes=info.num_supported_nodes,
        total_nodes=info.num_nodes,
        partitions=info.num_partitions,
        unsupported_ops=[OpLeftOut(op=op, nodes=n) for op, n in sorted(unsupported.items())],
        suitability=info.suitability().name,
    )


def _op_name(node: Any) -> str:
    return f"{node.domain}:{node.op_type}" if node.domain not in ("", "ai.onnx") else node.op_type
