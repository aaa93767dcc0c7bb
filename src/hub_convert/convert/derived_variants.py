"""The TFLite variants derived from the float32 file, when a run converts one, instead of
converted from the SavedModel (targets/tflite_derive.py). Plain data: the main process
schedules them in the float32 conversion's task, and imports no converter to know them."""

from __future__ import annotations

DERIVED_FROM_FLOAT32: frozenset[str] = frozenset({"dynamic", "float16"})
