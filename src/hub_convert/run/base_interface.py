"""The base model's interface as the model itself has it, to hold a cached base report to:
the signature's inputs and outputs read in a worker (TensorFlow imported there, lazily), and
how a report's claim differs from them.
"""

from __future__ import annotations

from pathlib import Path

from ..report.plain_text import shape_text
from ..report.source_info import TensorInfo

Interface = tuple[list[TensorInfo], list[TensorInfo]]


def read_interface(
    saved_model_dir: Path, tags: list[str], signature: str, log_path: Path | None
) -> Interface:
    """Worker task: the inputs and outputs of ``signature`` (loaded, as a conversion loads
    it), each sorted by name."""
    from ..convert.signature import load_signature, signature_io
    from ..convert.tasks import task

    with task(log_path, "reading the base model's signature"):
        _, function = load_signature(saved_model_dir, tags, signature)
        return signature_io(function)


def _described(tensors: list[TensorInfo]) -> list[str]:
    return sorted(f"{t.name}: {t.dtype} {shape_text(t.shape)}" for t in tensors)


def interface_difference(claimed: Interface, observed: Interface) -> str | None:
    """The first input or output where ``claimed`` (a report's) and ``observed`` (the model's)
    differ in name, dtype or shape, said in one line; None when they agree."""
    for kind, said, seen in zip(("inputs", "outputs"), claimed, observed, strict=True):
        said_text, seen_text = _described(said), _described(seen)
        if said_text != seen_text:
            return (
                f"its {kind} ({'; '.join(said_text)[:200]}) are not the base model's "
                f"({'; '.join(seen_text)[:200]})"
            )
    return None
