"""The run's configuration: one typed, validated object. Bad input stops here (exit 2).

Both the CLI and the Action build a ``ConvertConfig`` through ``parse_*`` helpers, so a
malformed value gets the same one-line message wherever it came from.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BadInputError
from .report import FailRule, Tolerance

TARGETS = ("tflite", "onnx")
TFLITE_VARIANTS = ("float32", "dynamic", "float16", "int8", "int16x8")
DEFAULT_TFLITE_VARIANTS = ("float32", "dynamic", "float16")
ONNX_VARIANTS = ("float32", "float16", "dynamic")
DEFAULT_ONNX_VARIANTS = ("float32",)
CALIBRATED_VARIANTS = frozenset({"int8", "int16x8"})
FAIL_RULES: tuple[FailRule, ...] = ("error", "drift", "flex", "unsupported-ops", "not-validated")
DEFAULT_FAIL_ON: tuple[FailRule, ...] = ("error", "drift")

# Default tolerances, stated in every report. float32 follows what ONNX exporters use to
# validate (optimum: atol 1e-4/1e-5). Reduced-precision variants cannot meet an absolute
# bound that is independent of the output's scale, so they are judged as quantization
# toolkits judge them: by direction (cosine) and signal-to-noise (PSNR, peak = the original
# output's range), with a loose absolute bound for float16.
_FLOAT16 = Tolerance(max_abs=1e-2, min_cosine=0.999)
_INT8 = Tolerance(min_cosine=0.99, min_psnr_db=30.0)
DEFAULT_TOLERANCES: dict[tuple[str, str], Tolerance] = {
    ("tflite", "float32"): Tolerance(max_abs=1e-4),
    ("tflite", "float16"): _FLOAT16,
    ("tflite", "dynamic"): _INT8,
    ("tflite", "int8"): _INT8,
    ("tflite", "int16x8"): Tolerance(min_cosine=0.999, min_psnr_db=40.0),
    ("onnx", "float32"): Tolerance(max_abs=1e-4),
    ("onnx", "float16"): _FLOAT16,
    ("onnx", "dynamic"): _INT8,
}


@dataclass(frozen=True)
class ConvertConfig:
    """Everything ``hub-convert convert`` needs, validated."""

    model: str
    output_dir: Path
    targets: tuple[str, ...] = TARGETS
    tflite_variants: tuple[str, ...] = DEFAULT_TFLITE_VARIANTS
    onnx_variants: tuple[str, ...] = DEFAULT_ONNX_VARIANTS
    signature: str | None = None
    tags: tuple[str, ...] | None = None
    input_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    samples: int = 8
    seed: int = 0
    opset: int = 17
    allow_flex: bool = True
    int8_io: str = "float"
    onnx_float16_io: str = "float32"
    representative_data: Path | None = None
    calibration_samples: int = 100
    latency_runs: int = 20
    tolerances: dict[str, Tolerance] = field(default_factory=dict)  # from --policy
    policy_file: Path | None = None
    max_drift: dict[str, float] = field(default_factory=dict)
    fail_on: tuple[FailRule, ...] = DEFAULT_FAIL_ON
    timeout: float = 900.0
    jobs: int = 0  # 0: as many as cores
    command: str = ""
    source_kind: str | None = None  # --source-kind: one of sources.KINDS, or detect
    allow_unsafe: bool = False  # --allow-unsafe: Keras files may run their Lambda code

    def jobs_wanted(self) -> list[tuple[str, str]]:
        """(target, variant) pairs in report order."""
        wanted: list[tuple[str, str]] = []
        if "tflite" in self.targets:
            wanted += [("tflite", v) for v in self.tflite_variants]
        if "onnx" in self.targets:
            wanted += [("onnx", v) for v in self.onnx_variants]
        return wanted

    def tolerance_for(self, target: str, variant: str) -> Tolerance:
        """The tolerance for an artifact: default, then the policy file, then ``--max-drift``.

        More specific keys win: ``target:variant`` over ``variant`` over ``*``.
        """
        tolerance = DEFAULT_TOLERANCES[(target, variant)]
        for key in ("*", variant, f"{target}:{variant}"):
            if key in self.tolerances:
                update = self.tolerances[key].model_dump(exclude_unset=True)
                tolerance = tolerance.model_copy(update=update)
        for key in (f"{target}:{variant}", variant, "*"):
            if key in self.max_drift:
                return tolerance.model_copy(update={"max_abs": self.max_drift[key]})
        return tolerance

    def needs_calibration(self) -> bool:
        return "tflite" in self.targets and bool(CALIBRATED_VARIANTS & set(self.tflite_variants))

    def worker_count(self) -> int:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        return max(1, self.jobs or cores)


def parse_choices(value: str, allowed: tuple[str, ...], option: str) -> tuple[str, ...]:
    """A comma-separated list whose items must all be in ``allowed`` (order kept, no repeats)."""
    items = [item.strip() for item in re.split(r"[,\s]+", value) if item.strip()]
    if not items:
        raise BadInputError(f"{option}: empty; choose from {', '.join(allowed)}")
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise BadInputError(
            f"{option}: unknown value {unknown[0]!r}; choose from {', '.join(allowed)}"
        )
    return tuple(dict.fromkeys(items))


def parse_fail_on(value: str) -> tuple[FailRule, ...]:
    rules = parse_choices(value, FAIL_RULES, "--fail-on")
    return tuple(rule for rule in FAIL_RULES if rule in rules)


_SHAPE_RE = re.compile(r"^(?P<name>[^=\s]+)=(?P<dims>\d+(?:[x,]\d+)*)$")


def parse_input_shapes(values: list[str]) -> dict[str, tuple[int, ...]]:
    """``NAME=1x224x224x3`` items (also separated by ``;`` or whitespace inside one value)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for value in values:
        for item in re.split(r"[;\s]+", value.strip()):
            if not item:
                continue
            match = _SHAPE_RE.match(item)
            if not match:
                raise BadInputError(
                    f"--input-shape: {item!r} is not NAME=DIMxDIM..., e.g. images=1x224x224x3"
                )
            dims = tuple(int(d) for d in re.split(r"[x,]", match["dims"]))
            if any(d == 0 for d in dims):
                raise BadInputError(f"--input-shape: {item!r} has a zero dimension")
            shapes[match["name"]] = dims
    return shapes


def parse_max_drift(value: str | None) -> dict[str, float]:
    """``1e-3`` (every variant) or ``float32=1e-4,float16=1e-2`` (also ``onnx:float32=…``)."""
    if value is None or not value.strip():
        return {}
    result: dict[str, float] = {}
    for item in re.split(r"[,\s]+", value.strip()):
        if not item:
            continue
        key, _, number = item.rpartition("=")
        key = key or "*"
        try:
            bound = float(number)
        except ValueError:
            raise BadInputError(
                f"--max-drift: {item!r} is not a number or VARIANT=NUMBER, e.g. float32=1e-4"
            ) from None
        if not bound >= 0:
            raise BadInputError(f"--max-drift: {item!r} must be a non-negative number")
        variant = key.split(":")[-1]
        known = set(TFLITE_VARIANTS) | set(ONNX_VARIANTS) | {"*"}
        if ":" in key and key.split(":")[0] not in TARGETS:
            raise BadInputError(f"--max-drift: unknown target in {item!r}; use tflite or onnx")
        if variant not in known:
            raise BadInputError(
                f"--max-drift: unknown variant {variant!r}; use one of {', '.join(sorted(known))}"
            )
        result[key] = bound
    return result


def parse_positive_int(value: str | int, option: str, *, minimum: int = 1) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadInputError(f"{option}: {value!r} is not a whole number") from None
    if number < minimum:
        raise BadInputError(f"{option}: must be at least {minimum}, got {number}")
    return number


def parse_tags(value: str | None) -> tuple[str, ...] | None:
    """``serve`` or ``serve,gpu``; an explicit empty string means the empty tag set (TF1 Hub)."""
    if value is None:
        return None
    return tuple(tag.strip() for tag in value.split(",") if tag.strip())
