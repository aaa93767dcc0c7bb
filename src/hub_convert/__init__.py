"""hub-convert: convert TensorFlow / TF Hub models to TFLite and ONNX, validate, and report."""

__version__ = "1.0.0"
