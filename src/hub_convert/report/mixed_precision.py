"""The report's ``mixed_precision`` of an ``int8-mixed`` artifact: which layers the int8 file
keeps in float, why, and what that costs."""

from __future__ import annotations

from pydantic import Field

from .limits import Count, Text
from .localization import MAX_LAYERS_SHOWN, LayerError
from .strict_model import StrictModel


class MixedPrecision(StrictModel):
    """The int8 file from one calibration, its worst layers kept in float: the fewest (of the
    int8 file's worst weighted layers, most error first) that pass the int8 tolerance, or, when
    no set of up to five does, the one that came closest (its verdict says drift)."""

    kept: list[LayerError] = Field(
        default_factory=list,
        max_length=MAX_LAYERS_SHOWN,
        description="The layers kept in float, each as measured in the all-int8 file (why it "
        "was chosen: the error it adds there).",
    )
    tried: Count = Field(
        description="How many sets were tried (the 1, 2, … worst); 0 when the all-int8 file "
        "passed as it is."
    )
    int8_size_bytes: Count = Field(
        description="The all-int8 file from the same calibration (no layer kept in float)."
    )
    note: Text | None = Field(default=None, description="Why nothing more was kept or tried.")
