"""An .onnx file's opset and the first ONNX Runtime release that implements it."""

from __future__ import annotations

from pathlib import Path

# ONNX Runtime's compatibility table (onnxruntime.ai/docs/reference/compatibility.html): the
# first release implementing each default-domain opset.
FIRST_ORT_FOR_OPSET: dict[int, str] = {
    7: "0.1.4",
    8: "0.1.4",
    9: "0.3.0",
    10: "0.4.0",
    11: "1.0",
    12: "1.3",
    13: "1.6",
    14: "1.8",
    15: "1.9",
    16: "1.11",
    17: "1.12",
    18: "1.14",
    19: "1.15",
    20: "1.17",
    21: "1.18",
    22: "1.21",
    23: "1.23",
}


def default_opset(path: Path) -> int | None:
    """The default-domain opset the file imports (its weights are not read)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    return None


def min_onnxruntime(opset: int | None) -> str | None:
    """The first ONNX Runtime release implementing ``opset``, or None when unknown here."""
    if opset is None:
        return None
    return FIRST_ORT_FOR_OPSET.get(max(opset, 7))
