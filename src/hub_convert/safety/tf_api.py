"""Which TensorFlow API functions a Keras 2 ``TFOpLambda`` layer may call. No TensorFlow.

A ``TFOpLambda`` / ``SlicingOpLambda`` layer (tf_keras, Keras 2) calls the TensorFlow API
symbol its config names by dotted path ("math.add", "nn.relu", "__operators__.getitem"),
while the model is rebuilt and whenever it runs. tf_keras writes one for every ``tf.*`` call
in a functional model, so refusing them all would refuse ordinary models; but the API also
reads and writes files (``io``), loads models (``saved_model``, ``lite``), converts them
(``quantization.experimental.quantize_saved_model``) and calls Python (``py_function``). So
the symbols allowed are an allow-list: namespaces of tensor operations, and top-level
functions that compute on tensors. Anything else is a finding, named by what it is known to
reach where it is known.
"""

from __future__ import annotations

from ..report.vocabulary import UnsafeEffect as Effect

# Namespaces of pure tensor operations: nothing in them opens files, sockets or Python.
SAFE_NAMESPACES = frozenset(
    {
        "__operators__",  # Python operators on tensors: getitem, add, eq, ...
        "audio",  # decode_wav / encode_wav work on string tensors
        "bitwise",
        "dtypes",
        "image",
        "linalg",
        "math",
        "nn",
        "ragged",
        "random",
        "sets",
        "signal",
        "sparse",
        "strings",
    }
)
# Top-level functions that compute on tensors. Left out: those that take Python callables
# (cond, map_fn, while_loop, ...), reach Python or files (print, py_function, load_library,
# import_graph_def, ...) or change how TensorFlow itself runs (device, init_scope, ...).
SAFE_TOP_LEVEL = frozenset(
    [
        "Assert",
        "abs",
        "acos",
        "acosh",
        "add",
        "add_n",
        "approx_top_k",
        "argmax",
        "argmin",
        "argsort",
        "as_string",
        "asin",
        "asinh",
        "assert_equal",
        "assert_greater",
        "assert_less",
        "assert_rank",
        "atan",
        "atan2",
        "atanh",
        "batch_to_space",
        "bitcast",
        "boolean_mask",
        "broadcast_dynamic_shape",
        "broadcast_static_shape",
        "broadcast_to",
        "cast",
        "clip_by_norm",
        "clip_by_global_norm",
        "clip_by_value",
        "complex",
        "concat",
        "constant",
        "convert_to_tensor",
        "cos",
        "cosh",
        "cumsum",
        "divide",
        "dynamic_partition",
        "dynamic_stitch",
        "edit_distance",
        "eig",
        "eigvals",
        "einsum",
        "ensure_shape",
        "equal",
        "exp",
        "expand_dims",
        "extract_volume_patches",
        "eye",
        "fill",
        "fingerprint",
        "floor",
        "gather",
        "gather_nd",
        "greater",
        "greater_equal",
        "guarantee_const",
        "histogram_fixed_width",
        "histogram_fixed_width_bins",
        "identity",
        "identity_n",
        "less",
        "less_equal",
        "linspace",
        "logical_and",
        "logical_not",
        "logical_or",
        "matmul",
        "matrix_square_root",
        "maximum",
        "meshgrid",
        "minimum",
        "multiply",
        "negative",
        "no_op",
        "norm",
        "not_equal",
        "one_hot",
        "ones",
        "ones_like",
        "pad",
        "parallel_stack",
        "pow",
        "range",
        "rank",
        "realdiv",
        "reduce_all",
        "reduce_any",
        "reduce_logsumexp",
        "reduce_max",
        "reduce_mean",
        "reduce_min",
        "reduce_prod",
        "reduce_sum",
        "repeat",
        "required_space_to_batch_paddings",
        "reshape",
        "reverse",
        "reverse_sequence",
        "roll",
        "round",
        "saturate_cast",
        "scalar_mul",
        "scatter_nd",
        "searchsorted",
        "sequence_mask",
        "shape",
        "shape_n",
        "sigmoid",
        "sign",
        "sin",
        "sinh",
        "size",
        "slice",
        "sort",
        "space_to_batch",
        "space_to_batch_nd",
        "split",
        "sqrt",
        "square",
        "squeeze",
        "stack",
        "stop_gradient",
        "strided_slice",
        "subtract",
        "tan",
        "tanh",
        "tensor_scatter_nd_add",
        "tensor_scatter_nd_max",
        "tensor_scatter_nd_min",
        "tensor_scatter_nd_sub",
        "tensor_scatter_nd_update",
        "tensordot",
        "tile",
        "transpose",
        "truediv",
        "truncatediv",
        "truncatemod",
        "unique",
        "unique_with_counts",
        "unravel_index",
        "unstack",
        "where",
        "zeros",
        "zeros_like",
    ]
)

_READS: Effect = "reads files"
_WRITES: Effect = "writes files"
_NETWORK: Effect = "uses the network"
_PYTHON: Effect = "runs Python code"

# What the symbols known to reach outside do; any other symbol off the allow-list runs
# TensorFlow Python code this scan does not know, and says so.
KNOWN_UNSAFE_NAMESPACES: dict[str, Effect] = {
    "io": _READS,  # io.read_file, io.write_file, io.gfile.*, io.matching_files
    "data": _READS,
    "saved_model": _READS,
    "lite": _READS,  # lite.Interpreter(model_path=...)
    "quantization": _READS,  # quantization.experimental.quantize_saved_model
    "summary": _WRITES,
    "train": _WRITES,  # checkpoints
    "lookup": _READS,  # text-file initializers
    "debugging": _WRITES,  # debugging.experimental.enable_dump_debug_info
    "profiler": _WRITES,
    "distribute": _NETWORK,
    "tpu": _NETWORK,
    "keras": _READS,  # keras.utils.get_file
    "queue": _READS,
}
KNOWN_UNSAFE_NAMES: dict[str, Effect] = {
    "print": _WRITES,  # output_stream="file://..."
}


def tf_api_effect(symbol: str) -> Effect | None:
    """What calling ``tf.<symbol>`` (a TFOpLambda's function) reaches; None when the symbol
    is on the allow-list of tensor operations."""
    head = symbol.split(".", 1)[0]
    if head in SAFE_NAMESPACES and "." in symbol:
        return None
    if symbol in SAFE_TOP_LEVEL:
        return None
    return KNOWN_UNSAFE_NAMES.get(symbol) or KNOWN_UNSAFE_NAMESPACES.get(head) or _PYTHON
