"""Everything that runs TensorFlow, tf2onnx, onnxruntime or LiteRT: executed in worker processes.

The main process imports only ``convert.specs`` (plain data passed to and from the workers);
the entry points it schedules are in ``convert.worker``. Nothing here writes into the user's
output directory: workers stage files in the run's work directory and the main process
publishes them.
"""
