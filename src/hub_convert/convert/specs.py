"""Plain data passed between the main process and the workers (picklable, no TensorFlow)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..report.artifact import Artifact, Tolerance
from ..report.run_info import Nondeterminism
from ..report.source_info import TensorInfo
from ..report.vocabulary import Stage, Target, Variant

# tf2onnx's float32 file in the staging directory, from which every ONNX variant is derived.
TF2ONNX_FLOAT32_FILE = "tf2onnx_float32.onnx"


@dataclass(frozen=True)
class StageMark:
    """A stage timed in a worker: when it began (``time.time()``) and how long it took."""

    stage: Stage
    started_at: float
    seconds: float

    @classmethod
    def since(cls, stage: Stage, began: float) -> StageMark:
        return cls(stage, began, time.time() - began)


@dataclass(frozen=True)
class Selection:
    """The tag set and signature a run converts, chosen from the SavedModel's protobuf."""

    tags: list[str]
    signature: str
    available: list[str]  # every callable signature of that tag set
    input_names: list[str]  # the signature's inputs, sorted


# The signature key TFLiteConverter.from_concrete_functions gives the one function it saves
# (fixed_shape.py saves its export under it). Here, with the plain data, because the main
# process names it too (localize_stage.py) and fixed_shape.py would bring numpy with it.
EXPORTED_SIGNATURE = "serving_default"


@dataclass(frozen=True)
class FixedShapeModel:
    """The signature at the validation shape, saved once as a SavedModel: every TFLite variant
    converts from it (convert/fixed_shape.py ``export_fixed_shape``)."""

    directory: Path
    source_ops: list[str]  # the op types the converter sees, frozen and inlined


@dataclass(frozen=True)
class CutGraph:
    """The original's graph cut at its continuous outputs, up to one order-dependent output:
    a serialized GraphDef (convert/rederive.py)."""

    graph_def: bytes
    fetch: str  # tensor name
    output_feeds: tuple[tuple[str, str], ...]  # (placeholder tensor, model output name)
    input_feeds: tuple[tuple[str, str], ...]  # (placeholder tensor, model input name)
    decided_by: str  # the decision op in the cut graph: "TopKV2 (node …)"

    @property
    def from_outputs(self) -> list[str]:
        return [name for _, name in self.output_feeds]


@dataclass(frozen=True)
class PrepareSpec:
    """Inspect the original model, choose validation (and calibration) inputs, run it."""

    saved_model_dir: Path
    display_path: str
    tags: tuple[str, ...] | None
    signature: str | None
    input_shapes: dict[str, tuple[int, ...]]
    samples: int
    seed: int
    samples_path: Path
    log_path: Path | None
    representative_data: Path | None = None
    calibration_samples: int = 0
    calibration_path: Path | None = None
    fixed_shape_dir: Path | None = None  # where to save the signature at the validation shape
    # where to record the original's outputs at the ONNX files' second shapes (device/)
    second_shape_path: Path | None = None


@dataclass
class PreparedSource:
    """What the original model is, and its outputs on the validation samples."""

    signature: str
    available_signatures: list[str]
    tags: list[str]
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    op_counts: dict[str, int]
    input_note: str
    fixed_dimensions: list[str] = field(default_factory=list)
    input_choices: list[str] = field(default_factory=list)
    sample_count: int = 0
    data_source: str = "synthetic"
    calibration_note: str | None = None
    warnings: list[str] = field(default_factory=list)
    order_depends_on: dict[str, str] = field(default_factory=dict)
    """Outputs whose row order comes from TopK / NMS / sorting: output -> "Op (node)"."""
    cut_graphs: dict[str, CutGraph] = field(default_factory=dict)
    """Of those, the ones the model's other outputs separate from the inputs (rederive.py)."""
    fixed_shape: FixedShapeModel | None = None
    marks: list[StageMark] = field(default_factory=list)  # load, reference, export
    nondeterminism: Nondeterminism | None = None
    # Each SparseTensor / RaggedTensor input: its name and its parts' input names.
    composite_inputs: list[tuple[str, list[str]]] = field(default_factory=list)
    """Set when two runs of the original on the first sample differ (determinism.py)."""

    def validation_shapes(self) -> dict[str, tuple[int, ...]]:
        return {t.name: tuple(t.validation_shape or ()) for t in self.inputs}


@dataclass(frozen=True)
class ConversionJob:
    """One artifact to produce and validate: what to convert, how, where to stage it."""

    target: Target
    variant: Variant
    saved_model_dir: Path
    tags: list[str]
    signature: str
    shapes: dict[str, tuple[int, ...]]
    file_name: str
    staging_dir: Path
    samples_path: Path
    tolerance: Tolerance
    opset: int
    allow_flex: bool
    log_path: Path | None
    calibration_path: Path | None = None
    int8_io: bool = False
    onnx_float16_io: bool = False
    order_depends_on: dict[str, str] = field(default_factory=dict)
    cut_graphs: dict[str, CutGraph] = field(default_factory=dict)
    tflite_strategy: Literal["concrete_function", "saved_model"] = "concrete_function"
    earlier_attempts: tuple[str, ...] = ()  # attempts made in a worker that died
    fixed_shape: FixedShapeModel | None = None  # TFLite: the signature saved at these shapes

    @property
    def staged_path(self) -> Path:
        return self.staging_dir / self.file_name

    @property
    def output_path(self) -> Path:
        """Where the task converting this job keeps its output (stderr, C++ included) while
        it runs: what is left to read if its worker dies (workers/death.py)."""
        return self.staging_dir / f"{self.file_name}.output"


@dataclass(frozen=True)
class StagedArtifact:
    """An Artifact as a worker measured it; its file (if any) is still in the work directory.

    The main process moves ``staged`` into the output directory and completes the Artifact
    (path, size, latency) in one step.
    """

    artifact: Artifact
    staged: Path | None
    file_name: str
    marks: tuple[StageMark, ...] = ()  # convert, validate


@dataclass(frozen=True)
class LatencySpec:
    """Time one runtime on the first validation sample: ``runs`` timed calls after warm-up."""

    runtime: Literal["tensorflow", "tflite", "onnx"]
    path: Path
    samples_path: Path
    runs: int
    log_path: Path | None
    tags: tuple[str, ...] = ()
    signature: str = ""
    warmup: int = 3
    measure_after: Path | None = None
    """Load the runtime at once, but time it only once this file exists: the main process
    makes it when no conversion runs any more. None: time it at once."""
    wait_limit: float = 0.0  # seconds to wait for ``measure_after`` before giving up


@dataclass(frozen=True)
class BehaviourSpec:
    """Run the base model's original on the head's validation inputs (``samples_path``, which
    holds the head original's outputs too) and compare the two models' outputs."""

    saved_model_dir: Path
    tags: tuple[str, ...]
    signature: str
    samples_path: Path
    log_path: Path | None
