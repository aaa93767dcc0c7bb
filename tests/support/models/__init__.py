"""Tiny models built at test time (TensorFlow imported lazily, inside the builders), by kind:
classifiers, signatures, converter_limits, input_constraints, numerics, hostile."""

import os

# Before any builder imports TensorFlow: its C++ start-up chatter would fill the test logs.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .classifiers import keras_classifier, peaked_classifier, token_classifier, versioned_classifier
from .converter_limits import determinant, lgamma_model
from .hostile import credential_thief
from .input_constraints import context_cropper, image_needing_size, ratio_resize
from .numerics import large_outputs, nan_everywhere, peak_detector, top_k_scores
from .signatures import (
    mixed_case_names,
    string_input,
    table_lookup,
    two_input_two_output,
    two_signature_module,
)

__all__ = [
    "context_cropper",
    "credential_thief",
    "determinant",
    "image_needing_size",
    "keras_classifier",
    "large_outputs",
    "lgamma_model",
    "mixed_case_names",
    "nan_everywhere",
    "peak_detector",
    "peaked_classifier",
    "ratio_resize",
    "string_input",
    "table_lookup",
    "token_classifier",
    "top_k_scores",
    "two_input_two_output",
    "two_signature_module",
    "versioned_classifier",
]
