"""The run's configuration: one typed, validated object. Bad input stops here (exit 2).

``build_config`` turns option values, keyed by their kebab-case name, into a ``ConvertConfig``.
The CLI passes its parsed arguments and the Action its inputs, both through the parsers in
parsing.py, so a bad value gets the same one-line message wherever it came from.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..errors import BadInputError
from ..parsing import (
    Text,
    given,
    parse_bool,
    parse_choice,
    parse_choices,
    parse_input_shapes,
    parse_int,
    parse_size,
    parse_tags,
    parse_tensor_names,
)
from ..policy import policy_file
from ..policy.device_rules import DEVICE_RULES, DeviceRule
from ..policy.tolerances import effective_tolerance, parse_max_drift
from ..report.artifact import Tolerance
from ..report.vocabulary import (
    FAIL_RULES,
    ONNX_VARIANTS,
    SOURCE_KINDS,
    TARGETS,
    TFLITE_VARIANTS,
    FailRule,
    OnnxVariant,
    SourceKind,
    Target,
    TFLiteVariant,
    Variant,
)
from ..units import human
from ..workers import memory_limit, model_size

DEFAULT_TFLITE_VARIANTS: tuple[TFLiteVariant, ...] = ("float32", "dynamic", "float16")
DEFAULT_ONNX_VARIANTS: tuple[OnnxVariant, ...] = ("float32",)
CALIBRATED_VARIANTS: frozenset[str] = frozenset({"int8", "int16x8", "int8-mixed"})
DEFAULT_FAIL_ON: tuple[FailRule, ...] = ("error", "drift")
DEFAULT_OUTPUT_DIR = "hub-convert-out"

Int8IO = Literal["float", "int8"]
Float16IO = Literal["float32", "float16"]
INT8_IO: tuple[Int8IO, ...] = ("float", "int8")
FLOAT16_IO: tuple[Float16IO, ...] = ("float32", "float16")

# The options ``build_config`` reads, by the name the CLI (``--NAME``) and the Action (input
# NAME) both use. ``model`` and ``output-dir`` are the CLI's positional and ``-o``.
CONVERT_OPTIONS = (
    "model",
    "output-dir",
    "source-kind",
    "allow-unsafe",
    "allow-unsafe-ops",
    "targets",
    "tflite-variants",
    "onnx-variants",
    "int8-io",
    "onnx-float16-io",
    "representative-data",
    "calibration-samples",
    "latency-runs",
    "policy",
    "signature",
    "tags",
    "inputs",
    "outputs",
    "input-shape",
    "samples",
    "seed",
    "opset",
    "max-drift",
    "allow-flex",
    "explain",
    "fail-on",
    "require",
    "timeout",
    "jobs",
    "max-memory",
)
# The smallest --max-memory a worker can import TensorFlow and convert a small model in.
MIN_MAX_MEMORY = 512 << 20


@dataclass(frozen=True)
class ConvertConfig:
    """Everything ``hub-convert convert`` needs, validated."""

    model: str
    output_dir: Path
    targets: tuple[Target, ...] = TARGETS
    tflite_variants: tuple[TFLiteVariant, ...] = DEFAULT_TFLITE_VARIANTS
    onnx_variants: tuple[OnnxVariant, ...] = DEFAULT_ONNX_VARIANTS
    signature: str | None = None
    tags: tuple[str, ...] | None = None
    graph_inputs: tuple[str, ...] = ()  # a frozen graph's tensors to feed (NAME=VALUE: fixed)
    graph_outputs: tuple[str, ...] = ()
    input_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    samples: int = 8
    seed: int = 0
    opset: int = 17
    allow_flex: bool = True
    explain: bool = False  # localize every artifact, not only the drifting ones
    int8_io: Int8IO = "float"
    onnx_float16_io: Float16IO = "float32"
    representative_data: Path | None = None
    calibration_samples: int = 100
    latency_runs: int = 20
    policy_tolerances: dict[str, Tolerance] = field(default_factory=dict)
    max_drift: dict[str, float] = field(default_factory=dict)
    fail_on: tuple[FailRule, ...] = DEFAULT_FAIL_ON
    require: tuple[DeviceRule, ...] = ()  # where each file must run; default: no such gate
    timeout: float = 900.0
    jobs: int = 0  # 0: as many as cores
    command: str = ""
    source_kind: SourceKind | None = None  # None: decided from the model argument
    allow_unsafe: bool = False  # Keras files may run their Lambda code
    allow_unsafe_ops: bool = False  # graphs may read/write files, use the network, run Python
    max_memory: int | None = None  # bytes per worker; None: derived from the machine; 0: none

    def jobs_wanted(self) -> list[tuple[Target, Variant]]:
        """(target, variant) pairs in report order."""
        wanted: list[tuple[Target, Variant]] = []
        if "tflite" in self.targets:
            wanted += [("tflite", v) for v in self.tflite_variants]
        if "onnx" in self.targets:
            wanted += [("onnx", v) for v in self.onnx_variants]
        return wanted

    def tolerance_for(self, target: Target, variant: Variant) -> Tolerance:
        return effective_tolerance(
            target, variant, policy=self.policy_tolerances, max_drift=self.max_drift
        )

    def needs_calibration(self) -> bool:
        return "tflite" in self.targets and bool(CALIBRATED_VARIANTS & set(self.tflite_variants))

    def worker_count(self, weight_bytes: int = 0) -> int:
        """``--jobs``, else one per core but only as many as memory can hold converting a model
        with ``weight_bytes`` of weights at once (model_size.py)."""
        if self.jobs:
            return self.jobs
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        memory = memory_limit.machine_memory()
        return model_size.workers_that_fit(cores, weight_bytes, memory, memory_limit.SHARE)

    def memory_limit(self, workers: int) -> int | None:
        """Bytes each of ``workers`` worker processes may allocate (None: no limit)."""
        if self.max_memory is None:
            return memory_limit.default_limit(workers)
        return self.max_memory or None


def build_config(
    values: Mapping[str, Text | list[str]], *, label: Callable[[str], str], command: str
) -> ConvertConfig:
    """A ConvertConfig from option values keyed by name (see ``CONVERT_OPTIONS``).

    A missing, None or blank value means the default. ``label(name)`` is how the user wrote
    the option (``--samples``, ``input samples``): every error message names it.
    """
    unknown = sorted(set(values) - set(CONVERT_OPTIONS))
    if unknown:
        raise ValueError(f"unknown convert options: {unknown}")

    def text(name: str) -> Text:
        value = values.get(name)
        return " ".join(value) if isinstance(value, list) else value

    model = given(text("model"))
    if model is None:
        raise BadInputError(f"{label('model')}: is required; pass a model path or handle")
    policy_path = given(text("policy"))
    policy = policy_file.load(Path(policy_path), label("policy")) if policy_path else None
    fail_on = parse_choices(text("fail-on"), FAIL_RULES, label("fail-on"), default=())
    if not fail_on:
        fail_on = policy.fail_on if policy and policy.fail_on is not None else DEFAULT_FAIL_ON
    require = parse_choices(text("require"), DEVICE_RULES, label("require"), default=())
    if not require and policy and policy.require is not None:
        require = policy.require
    data = given(text("representative-data"))
    representative = Path(data) if data else None
    kind = given(text("source-kind"))
    tags = values.get("tags")
    config = ConvertConfig(
        model=model,
        output_dir=Path(given(text("output-dir")) or DEFAULT_OUTPUT_DIR),
        targets=parse_choices(text("targets"), TARGETS, label("targets"), default=TARGETS),
        tflite_variants=parse_choices(
            text("tflite-variants"),
            TFLITE_VARIANTS,
            label("tflite-variants"),
            default=DEFAULT_TFLITE_VARIANTS,
        ),
        onnx_variants=parse_choices(
            text("onnx-variants"),
            ONNX_VARIANTS,
            label("onnx-variants"),
            default=DEFAULT_ONNX_VARIANTS,
        ),
        signature=given(text("signature")),
        tags=parse_tags(tags if isinstance(tags, str) else None),
        graph_inputs=parse_tensor_names(text("inputs"), label("inputs"), values=True),
        graph_outputs=parse_tensor_names(text("outputs"), label("outputs")),
        input_shapes=parse_input_shapes(text("input-shape"), label("input-shape")),
        samples=parse_int(text("samples"), label("samples"), default=8),
        seed=parse_int(text("seed"), label("seed"), default=0, minimum=0),
        opset=parse_int(text("opset"), label("opset"), default=17, minimum=7),
        max_drift=parse_max_drift(text("max-drift"), label("max-drift")),
        allow_flex=parse_bool(text("allow-flex"), label("allow-flex"), default=True),
        explain=parse_bool(text("explain"), label("explain"), default=False),
        fail_on=fail_on,
        require=tuple(rule for rule in DEVICE_RULES if rule in require),
        int8_io=parse_choice(text("int8-io"), INT8_IO, label("int8-io"), default="float"),
        onnx_float16_io=parse_choice(
            text("onnx-float16-io"), FLOAT16_IO, label("onnx-float16-io"), default="float32"
        ),
        representative_data=representative,
        calibration_samples=parse_int(
            text("calibration-samples"), label("calibration-samples"), default=100
        ),
        latency_runs=parse_int(text("latency-runs"), label("latency-runs"), default=20, minimum=0),
        policy_tolerances=policy.tolerances if policy else {},
        timeout=float(parse_int(text("timeout"), label("timeout"), default=900)),
        jobs=parse_int(text("jobs"), label("jobs"), default=0, minimum=0),
        command=command,
        source_kind=(
            parse_choice(kind, SOURCE_KINDS, label("source-kind"), default="saved_model")
            if kind
            else None
        ),
        allow_unsafe=parse_bool(text("allow-unsafe"), label("allow-unsafe"), default=False),
        allow_unsafe_ops=parse_bool(
            text("allow-unsafe-ops"), label("allow-unsafe-ops"), default=False
        ),
        max_memory=parse_size(text("max-memory"), label("max-memory"), minimum=MIN_MAX_MEMORY),
    )
    _check_input_sizes(config, label)
    return config


def _check_input_sizes(config: ConvertConfig, label: Callable[[str], str]) -> None:
    """Refuse inputs that could not fit in a worker, before any work starts.

    The samples may take half of a worker's memory: the model needs the rest. The worker
    checks again with the signature's dtypes (convert/inputs.py); here every element counts
    as at least one byte.
    """
    limit = config.memory_limit(config.worker_count()) or memory_limit.machine_memory()
    bound = limit // 2 if limit else None
    if config.representative_data is not None:
        # Names and headers now, so bad data stops before any work starts; shapes and
        # dtypes are checked against the signature once the model is loaded.
        from ..convert import representative_data  # numpy: not a dependency of `publish`

        representative_data.check_file(config.representative_data, bound)
    count = config.samples + (config.calibration_samples if config.needs_calibration() else 0)
    for name, shape in config.input_shapes.items():
        elements = math.prod(shape) * count
        if bound is not None and elements > bound:
            shown = "x".join(str(d) for d in shape)
            raise BadInputError(
                f"{label('input-shape')} {name}={shown}: {count} samples of this shape need at "
                f"least {human(elements)}, over the {human(bound)} "
                "allowed (half of --max-memory); choose a smaller shape"
            )
