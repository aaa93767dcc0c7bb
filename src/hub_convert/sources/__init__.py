"""Every source kind ends as the same ``SourceModel``: see resolve.py for how the ``model``
argument is recognised, and one module per kind (hub, archive, keras_file, tfjs/, ...)."""

from .resolve import KINDS, resolve

__all__ = ["KINDS", "resolve"]
