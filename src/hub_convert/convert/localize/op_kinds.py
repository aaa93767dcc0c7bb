"""Which layers are ranked, and which a quantizer can keep in float.

Ops that compare, round, cast or index turn a small numeric error into a jump (a flipped
comparison, another argmax, rows in another order): their error, and that of everything
computed from their results, says nothing about where precision was lost, so those layers are
mapped and measured but never named as where a file drifts. (Measured on the corpus's
detectors: Cast and Equal nodes, and the box arithmetic after NonMaxSuppression, ranked above
every conv otherwise.)
"""

from __future__ import annotations

import numpy as np

DISCRETE_TF_OPS = frozenset(
    {
        "ArgMax", "ArgMin", "Equal", "NotEqual", "Greater", "GreaterEqual", "Less",
        "LessEqual", "Floor", "FloorDiv", "FloorMod", "Round", "Select", "SelectV2", "Where",
        "GatherV2", "GatherNd", "OneHot", "TopKV2", "NonMaxSuppressionV3",
        "NonMaxSuppressionV4", "NonMaxSuppressionV5", "LogicalAnd", "LogicalOr", "LogicalNot",
    }
)  # fmt: skip
DISCRETE_CONVERTED_OPS = frozenset(
    {
        # TFLite
        "ARG_MAX", "ARG_MIN", "CAST", "EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS",
        "LESS_EQUAL", "FLOOR", "FLOOR_DIV", "FLOOR_MOD", "ROUND", "SELECT", "SELECT_V2",
        "WHERE", "GATHER", "GATHER_ND", "ONE_HOT", "TOPK_V2", "NON_MAX_SUPPRESSION_V4",
        "NON_MAX_SUPPRESSION_V5", "LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT",
        # ONNX
        "ArgMax", "ArgMin", "Cast", "Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual",
        "Floor", "Round", "Where", "Gather", "GatherND", "OneHot", "TopK", "NonMaxSuppression",
        "And", "Or", "Not",
    }
)  # fmt: skip
# TFLite ops whose weights a quantizer quantizes: the ones worth keeping in float.
WEIGHTED_TFLITE_OPS = frozenset(
    {
        "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "CONV_3D",
        "BATCH_MATMUL", "EMBEDDING_LOOKUP", "UNIDIRECTIONAL_SEQUENCE_LSTM",
        "BIDIRECTIONAL_SEQUENCE_LSTM", "UNIDIRECTIONAL_SEQUENCE_RNN", "SVDF",
    }
)  # fmt: skip


def is_discrete(op: str, value: np.ndarray) -> bool:
    """Whether a converted op's output is a decision, not a rounded number: a cast counts
    only when it casts to integers or booleans (float32 to float16 is precision)."""
    if op in ("CAST", "Cast"):
        return not np.issubdtype(value.dtype, np.floating)
    return op in DISCRETE_CONVERTED_OPS
