"""The TF.js source's Materializer: model.json + shards in, SavedModel out (runs in a worker)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .check import load_checked
from .model_json import GRAPH_MODEL


@dataclass(frozen=True)
class TfjsMaterializer:
    """Rebuild the TF.js model at ``model_json`` (file or directory) as a SavedModel.

    Picklable: it carries only the path, and re-runs the cheap checks in the worker so it
    never trusts state from another process.
    """

    model_json: Path

    def __call__(self, target: Path) -> dict[str, str]:
        """Write the SavedModel at ``target``; return provenance for the report."""
        # Imported here, in the worker: the main process builds this object for every run, and
        # numpy costs it ~0.12 CPU-s to import.
        from .weights_decode import read_weights

        checked = load_checked(self.model_json)
        model = checked.model
        weights = read_weights(model.path, checked.groups)
        if model.format == GRAPH_MODEL:
            from .export import save_graph_model
            from .graph import build_graph_def, graph_io
            from .initializer import build_tables, table_specs

            graph_def = build_graph_def(model, weights)
            inputs, outputs = graph_io(model, graph_def)
            specs = table_specs(model, weights)
            tables = list(zip([s.feeds for s in specs], build_tables(specs), strict=True))
            save_graph_model(graph_def, inputs, outputs, target, str(model.path), tables)
        else:
            from .export import save_keras_model
            from .layers import build_keras_model

            save_keras_model(build_keras_model(model, weights), target)
        return checked.info.provenance()
