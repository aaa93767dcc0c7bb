"""The report's per-artifact ``localization``: where in the graph a converted file starts to
differ from the original, layer by layer, on one validation sample. Advice: it never changes
an artifact's status."""

from __future__ import annotations

from pydantic import Field

from .limits import Count, FiniteFloat, Name, Text
from .strict_model import StrictModel

MAX_LAYERS_SHOWN = 5


class LayerError(StrictModel):
    """One converted tensor mapped onto a node of the original's frozen graph."""

    node: Name = Field(description="The original's node (its frozen graph) the tensor maps to.")
    tensor: Name | None = Field(default=None, description="The converted file's tensor name.")
    op: Name = Field(description="The converted file's operator producing the tensor.")
    relative_error: FiniteFloat = Field(
        description="‖converted − original‖ / ‖original‖ of the tensor (relative L2 error)."
    )
    introduced: FiniteFloat = Field(
        description="relative_error minus the largest relative_error among its inputs: the "
        "error this layer adds."
    )
    max_abs: FiniteFloat
    cosine: FiniteFloat
    within_tolerance: bool = Field(description="Judged by the artifact's tolerance.")


class KeepInFloat(StrictModel):
    """What keeping the worst layers of a quantized TFLite file in float does, measured: an int8
    file re-quantized from the same calibration, a dynamic-range or float16 one made again by
    ai-edge-quantizer from the float32 file, with those layers left in float, and validated on
    the same samples."""

    layers: list[Name] = Field(
        max_length=MAX_LAYERS_SHOWN, description="The original's nodes kept in float."
    )
    within_tolerance: bool = Field(description="Whether that file passes the artifact's tolerance.")
    worst_cosine: FiniteFloat | None = None
    worst_psnr_db: FiniteFloat | None = None
    size_ratio: FiniteFloat = Field(description="Its size / the artifact's size.")
    tried: Count = Field(description="How many sets of layers were tried (1, 2, … worst first).")
    quantizer: Text | None = Field(default=None, description="What made the re-quantized file.")


class Localization(StrictModel):
    """Per-layer comparison of one artifact with the original, on validation sample 0."""

    tensors: Count = Field(description="Op outputs of the converted file that depend on inputs.")
    mapped: Count = Field(description="Of those, how many were matched to an original node.")
    first_over: LayerError | None = Field(
        default=None, description="The first mapped layer, in graph order, over the tolerance."
    )
    worst: list[LayerError] = Field(
        default_factory=list,
        max_length=MAX_LAYERS_SHOWN,
        description="The layers that add the most error, most first.",
    )
    keep_in_float: KeepInFloat | None = Field(
        default=None,
        description="Quantized TFLite files (int8, dynamic, float16): the fewest worst layers "
        "kept in float that fix it.",
    )
    node_data: Name | None = Field(
        default=None,
        description="The Model Explorer node data file beside the artifact: each layer's error.",
    )
    notes: list[Text] = Field(default_factory=list, max_length=10)
    error: Text | None = Field(default=None, description="Why no localization was made.")
    seconds: FiniteFloat | None = None
