"""Read the operators of a .tflite flatbuffer (no TensorFlow needed)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ai_edge_litert import schema_py_generated as schema

_BUILTIN_NAMES = {
    value: name
    for name, value in vars(schema.BuiltinOperator).items()
    if not name.startswith("_") and isinstance(value, int)
}
FLEX_PREFIX = "Flex"


def operator_counts(path: Path) -> dict[str, int]:
    """Op name -> number of operators using it, over all subgraphs.

    Builtins by their schema name (``CONV_2D``); custom ops by their custom code
    (Flex ops keep their ``Flex`` prefix, e.g. ``FlexMatrixDeterminant``).
    """
    buffer = bytearray(path.read_bytes())
    model = schema.Model.GetRootAs(buffer, 0)
    code_names = op_code_names(model)
    counts: Counter[str] = Counter()
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        for o in range(subgraph.OperatorsLength()):
            counts[code_names[subgraph.Operators(o).OpcodeIndex()]] += 1
    return dict(sorted(counts.items()))


def op_code_names(model: schema.Model) -> list[str]:
    """The name of each operator code of ``model``, by index (custom ops by their code)."""
    names = []
    for index in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(index)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if builtin == schema.BuiltinOperator.CUSTOM:
            custom = code.CustomCode()
            names.append(custom.decode() if custom else "CUSTOM")
        else:
            names.append(_BUILTIN_NAMES.get(builtin, f"BUILTIN_{builtin}"))
    return names


_TYPE_NAMES = {
    value: name
    for name, value in vars(schema.TensorType).items()
    if not name.startswith("_") and isinstance(value, int)
}


def constant_tensor_types(path: Path) -> dict[str, int]:
    """Element type -> number of constant tensors (weights: tensors backed by a buffer)."""
    buffer = bytearray(path.read_bytes())
    model = schema.Model.GetRootAs(buffer, 0)
    counts: Counter[str] = Counter()
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        for t in range(subgraph.TensorsLength()):
            tensor = subgraph.Tensors(t)
            index = tensor.Buffer()
            if index <= 0 or index >= model.BuffersLength():
                continue
            data = model.Buffers(index)
            # Large models keep buffer data outside the flatbuffer (offset/size) instead.
            if data.DataLength() or data.Size():
                counts[_TYPE_NAMES.get(tensor.Type(), str(tensor.Type()))] += 1
    return dict(sorted(counts.items()))


def flex_ops(counts: dict[str, int]) -> list[str]:
    """TensorFlow op types kept as Flex kernels (``FlexLgamma`` -> ``Lgamma``)."""
    return sorted(name[len(FLEX_PREFIX) :] for name in counts if name.startswith(FLEX_PREFIX))
