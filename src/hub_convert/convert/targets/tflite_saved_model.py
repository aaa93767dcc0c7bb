"""TFLiteConverter for the fixed-shape SavedModel prepare saves, without two whole-object loads.

``TFLiteConverter.from_saved_model`` loads the whole SavedModel into Python
(``tf.saved_model.load``) to look up the signature, and ``convert()`` loads it a second time
only to read the graph debug info, before handing the directory to the MLIR converter, which
imports the SavedModel again in C++. Measured on MobileNetV2 (TF 2.21), the two Python loads
take 2–3 s of a 4–5 s conversion; the converter itself uses neither object.

``converter_for`` builds the same ``TFLiteSavedModelConverterV2`` that ``from_saved_model``
returns for one signature of a TF2 SavedModel, and its ``convert()`` reads the GraphDef and
the debug info from the SavedModel's protobufs, as the loads would have. Everything after
that is TensorFlow's own code path (``_convert_from_saved_model``, quantization, the
conversion metadata), so the flatbuffer is byte-identical to ``from_saved_model``'s: a test
in test_toolchain_facts.py checks that for every variant, so a TensorFlow upgrade that
changes these internals fails there, not in users' files.

Written by hand because TensorFlow has no public API that converts a SavedModel without
loading it into Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def converter_for(saved_model_dir: Path, signature_key: str, tags: set[str]) -> Any:
    """A TFLiteConverter for ``signature_key`` of a TF2 SavedModel with one MetaGraph."""
    from tensorflow.lite.python import lite
    from tensorflow.lite.python.conversion_metadata_schema_py_generated import ModelType
    from tensorflow.python.saved_model.loader_impl import parse_saved_model_with_debug_info

    class _ProtoOnlyConverter(lite.TFLiteSavedModelConverterV2):  # type: ignore[misc]
        @lite._export_metrics  # type: ignore[untyped-decorator]
        def convert(self) -> Any:
            saved_model, debug_info = parse_saved_model_with_debug_info(self.saved_model_dir)
            graph_def = next(
                meta_graph.graph_def
                for meta_graph in saved_model.meta_graphs
                if set(meta_graph.meta_info_def.tags) == self._saved_model_tags
            )
            self._debug_info = lite._get_debug_info(
                lite._convert_debug_info_func(debug_info), graph_def
            )
            return self._convert_from_saved_model(graph_def)

    # What from_saved_model records before it builds the converter.
    lite.TFLiteConverterBase._set_original_model_type(ModelType.TF_SAVED_MODEL)
    converter = _ProtoOnlyConverter(str(saved_model_dir), set(tags), [signature_key])
    if not converter.saved_model_dir:  # not a TF2 SavedModel the MLIR importer reads
        raise ValueError(f"{saved_model_dir} is not a SavedModel TFLite's importer can read")
    return converter
