"""A converted file run on one sample with every intermediate tensor kept, in plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NCHW = "nchw"
NHWC = "nhwc"


@dataclass
class ConvertedTensor:
    """One op output of a converted file: the TF node names it carries, in graph order."""

    key: str  # unique within the file
    names: list[str]  # candidate TensorFlow node names, most specific last
    op: str
    inputs: list[str]  # keys of the activation tensors it reads
    value: np.ndarray
    layout: str = NHWC  # NCHW: a 4-D tensor tf2onnx transposed from TensorFlow's NHWC
    name: str = ""  # the file's own name for it (TFLite: the `;`-joined one; ONNX: the output)


@dataclass
class ConvertedRun:
    """Every activation tensor of one run, in execution order."""

    tensors: list[ConvertedTensor]
    graph_inputs: list[str]  # keys of the file's inputs
    notes: list[str] = field(default_factory=list)
