"""The ``ort`` variant: the float32 ONNX file in ONNX Runtime's own format (``.ort``), the
format ONNX Runtime Mobile's minimal builds load, written by ONNX Runtime's own converter."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path

# ONNX Runtime's converter: "use models optimized with 'Runtime' style when using NNAPI or
# CoreML" (the execution providers a mobile build is for; onnxruntime.tools.
# convert_onnx_models_to_ort). The file keeps the graph after basic optimizations, which is the
# graph the NNAPI/CoreML partition check reads, and records the further optimizations for ONNX
# Runtime to apply at load time to the nodes no compiling provider took.
OPTIMIZATION_STYLE = "Runtime"
# The FlatBuffers file identifier ONNX Runtime's schema declares (bytes 4-8 of the file).
FILE_IDENTIFIER = b"ORTM"
# Replaying the recorded optimizations is off by default in ONNX Runtime and meant for trusted
# files only: the validation replays them on the file this run wrote, as an app would on CPU.
REPLAY_OPTION = "session.enable_saved_runtime_optimizations"

STYLE_NOTE = (
    f"ONNX Runtime format, '{OPTIMIZATION_STYLE}' optimization style (ONNX Runtime's advice for "
    "NNAPI and CoreML): basic optimizations applied, the others recorded for ONNX Runtime to "
    f"apply when it loads the file; validated with them applied ({REPLAY_OPTION}=1). Its "
    "latency here lacks the x86-only NCHWc layouts the converter leaves out for ARM devices, "
    "which the .onnx file gets when loaded here: slower on this machine, not a phone's latency"
)


def write_ort(float32_path: Path, target: Path) -> None:
    """Convert the float32 ONNX file to ONNX Runtime format at ``target`` with ONNX Runtime's
    ``convert_onnx_models_to_ort`` (its output names are its own: the file is moved)."""
    from onnxruntime.tools.convert_onnx_models_to_ort import (
        OptimizationStyle,
        convert_onnx_models_to_ort,
    )

    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".ort.") as work:
        out = Path(work)
        convert_onnx_models_to_ort(
            float32_path,
            output_dir=out,
            optimization_styles=[OptimizationStyle[OPTIMIZATION_STYLE]],
        )
        written = sorted(out.glob("*.ort"))
        if len(written) != 1:
            raise RuntimeError(f"the ORT converter wrote {len(written)} .ort files, not one")
        shutil.move(written[0], target)


def ort_operator_counts(path: Path) -> dict[str, int]:
    """Op types in an ONNX Runtime format file's main graph (``domain::Op`` outside the
    default domain), read from its FlatBuffer; ValueError when it is not one."""
    from onnxruntime.tools.ort_format_model.ort_flatbuffers_py.fbs.InferenceSession import (
        InferenceSession,
    )

    data = path.read_bytes()
    if data[4:8] != FILE_IDENTIFIER:
        raise ValueError(f"{path.name} is not an ONNX Runtime format file (no ORTM identifier)")
    graph = InferenceSession.GetRootAs(data, 0).Model().Graph()
    counts: Counter[str] = Counter()
    for index in range(graph.NodesLength()):
        node = graph.Nodes(index)
        domain = (node.Domain() or b"").decode()
        op = (node.OpType() or b"").decode()
        counts[f"{domain}::{op}" if domain not in ("", "ai.onnx") else op] += 1
    return dict(sorted(counts.items()))
