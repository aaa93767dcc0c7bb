"""Where a converted file will run, measured in a worker without the device: XNNPACK for
TFLite, ONNX Runtime Mobile's NNAPI and CoreML partitions for ONNX."""
