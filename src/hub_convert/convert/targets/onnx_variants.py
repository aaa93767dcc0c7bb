"""The float16, dynamic and ort ONNX variants, derived from the float32 model tf2onnx wrote."""

from __future__ import annotations

from pathlib import Path

from .onnx_external_data import copy_model, data_file, uses_external_data
from .onnx_ort import write_ort


def derive(float32_path: Path, variant: str, target: Path, *, float16_io: bool) -> None:
    """Write ``variant`` of the float32 ONNX model at ``target``.

    float16: onnxconverter-common's converter; inputs and outputs stay float32 unless
    ``float16_io``. dynamic: onnxruntime's dynamic quantization (int8 weights, activations
    quantized at run time). ort: the float32 model in ONNX Runtime's format (onnx_ort.py).
    """
    import onnx

    external = uses_external_data(float32_path)
    if variant == "float32":
        copy_model(float32_path, target)
    elif variant == "float16":
        from onnxconverter_common import float16

        if external:  # shape inference from the path: the in-memory one stops at 2 GiB
            model = float16.convert_float_to_float16_model_path(
                str(float32_path), keep_io_types=not float16_io
            )
        else:
            model = float16.convert_float_to_float16(
                onnx.load(str(float32_path)), keep_io_types=not float16_io
            )
        onnx.save_model(
            model,
            str(target),
            save_as_external_data=external,
            all_tensors_to_one_file=True,
            location=data_file(target).name,
        )
    elif variant == "dynamic":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # onnxruntime names the data file NAME.onnx.data, as data_file() does.
        quantize_dynamic(
            str(float32_path),
            str(target),
            weight_type=QuantType.QInt8,
            use_external_data_format=external,
        )
    elif variant == "ort":
        write_ort(float32_path, target)
    else:
        raise ValueError(f"unknown ONNX variant {variant!r}")
