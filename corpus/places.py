"""Where the corpus keeps its inputs, its cache and its results, and the hub-convert it runs."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / ".cache"
OUT = HERE / ".out"
MODELS_YAML = HERE / "models.yaml"
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "RESULTS.md"
HUB_CONVERT = Path(sys.executable).parent / "hub-convert"
