"""TF.js models (``model.json`` + weight shards) as a source: graph models and layers models.

Main process, no TensorFlow: ``looks_like_tfjs`` and ``check_tfjs``. Worker:
``TfjsMaterializer`` writes the SavedModel every other stage then uses.

Modules, one job each: model_json (read the file), weights (manifest, shards, decoding),
topology (JSON-level questions), check (all checks before work), graph + unfuse + tf_bugs
+ functionalize (graph model → GraphDef TensorFlow runs), layers (layers model →
tf_keras), export (SavedModel).
"""

from __future__ import annotations

from .check import TfjsInfo, check_tfjs
from .materializer import TfjsMaterializer
from .model_json import looks_like_tfjs

__all__ = ["TfjsInfo", "TfjsMaterializer", "check_tfjs", "looks_like_tfjs"]
