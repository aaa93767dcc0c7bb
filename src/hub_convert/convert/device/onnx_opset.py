"""An .onnx file's opset and the first ONNX Runtime release that implements it."""

from __future__ import annotations

from pathlib import Path

# The first ONNX Runtime release implementing each default-domain opset, as ONNX Runtime's own
# version matrix (docs/Versioning.md) recorded it up to opset 15. Its later rows were not kept
# up to date upstream (1.12 and 1.13 were listed at opset 15), so newer opsets are not guessed:
# the report says the release is not recorded here.
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
