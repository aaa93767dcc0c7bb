"""The report's ``device`` section of an artifact: where the file will run, measured here
without the device (XNNPACK for TFLite; ONNX Runtime Mobile's NNAPI and CoreML partitions for
ONNX; the shapes it was checked at)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field

from .limits import MAX_ITEMS, MAX_NOTES, Count, Name, Shape, Text
from .strict_model import StrictModel

MobileProvider = Literal["NNAPI", "CoreML NeuralNetwork", "CoreML MLProgram"]
Suitability = Literal["YES", "MAYBE", "NO"]

MOBILE_PROVIDERS: tuple[MobileProvider, ...] = ("NNAPI", "CoreML NeuralNetwork", "CoreML MLProgram")

# ``require`` rules (policy/device_rules.py judges them); here so the report can record them.
DeviceRule = Literal["xnnpack-full", "nnapi-full", "coreml-full"]
DEVICE_RULES: tuple[DeviceRule, ...] = get_args(DeviceRule)


class OpLeftOut(StrictModel):
    """An op type a delegate or execution provider does not take, and the nodes that use it."""

    op: Name
    nodes: list[Name] = Field(default_factory=list, max_length=MAX_ITEMS)


class XnnpackCoverage(StrictModel):
    """TFLite: the ops XNNPACK (every TFLite runtime's default CPU delegate) takes."""

    delegated_ops: Count
    total_ops: Count
    left_out: list[OpLeftOut] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Ops left on TFLite's own kernels, with their nodes (output tensors).",
    )

    @property
    def full(self) -> bool:
        """Whether XNNPACK takes every op."""
        return self.delegated_ops == self.total_ops


class MobilePartitions(StrictModel):
    """ONNX: how ONNX Runtime Mobile would split the file for one execution provider, by ONNX
    Runtime's own usability checker (after its basic optimizations)."""

    provider: MobileProvider
    supported_nodes: Count
    total_nodes: Count
    partitions: Count
    unsupported_ops: list[OpLeftOut] = Field(default_factory=list, max_length=MAX_ITEMS)
    suitability: Suitability = Field(
        description="ONNX Runtime's own word: should the model perform well with it."
    )

    @property
    def full(self) -> bool:
        """Whether every node lands in one partition of this provider."""
        return self.supported_nodes == self.total_nodes and self.partitions == 1


class ShapeCheck(StrictModel):
    """The file run at a shape other than its validation shape, against the original."""

    shapes: dict[Name, Shape] = Field(default_factory=dict, max_length=MAX_ITEMS)
    passed: bool
    problem: Text | None = None


class DeviceView(StrictModel):
    """Where one converted file will run."""

    xnnpack: XnnpackCoverage | None = None
    gpu: Text | None = Field(default=None, description="TFLite GPU delegate: not checked, and why.")
    mobile: list[MobilePartitions] = Field(default_factory=list, max_length=len(MOBILE_PROVIDERS))
    opset: Count | None = Field(default=None, description="ONNX: the default-domain opset.")
    min_onnxruntime: Name | None = Field(
        default=None,
        description="ONNX: the first ONNX Runtime release that implements the file's opset.",
    )
    mobile_note: Text | None = Field(
        default=None, description="ONNX: what the partitions assume (input shapes fixed)."
    )
    checked_on: Text | None = Field(
        default=None,
        description="ONNX Runtime format (.ort): the file the partitions and opset were read "
        "from instead (the .onnx it was made from; ONNX Runtime's checker reads .onnx only).",
    )
    fixed_shapes: Text | None = Field(
        default=None, description="TFLite: open dimensions of the original the file fixed."
    )
    shape_checks: list[ShapeCheck] = Field(default_factory=list, max_length=MAX_NOTES)
    problems: list[Text] = Field(
        default_factory=list, max_length=MAX_NOTES, description="Checks that could not run."
    )
