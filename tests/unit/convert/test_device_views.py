"""Where a file runs, judged here: XNNPACK's share of a .tflite, ONNX Runtime Mobile's NNAPI
and CoreML partitions of an .onnx, with the ops each leaves out named."""

from __future__ import annotations

import pytest

from hub_convert.convert.device.tasks import DeviceSpec, device_view
from hub_convert.report.device import MOBILE_PROVIDERS, DeviceView
from support.models.device_models import (
    mobilenet_v2_function,
    onnx_file,
    small_conv_functions,
    tflite_file,
)

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def views(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DeviceView]:
    """Each small model converted once and viewed once."""
    folder = tmp_path_factory.mktemp("device")
    whole, topk_rfft, topk_erf = small_conv_functions()
    mobilenet = mobilenet_v2_function()
    files = {
        "mobilenet_v2.tflite": tflite_file(mobilenet, folder / "mobilenet_v2.tflite"),
        "mobilenet_v2.onnx": onnx_file(mobilenet, folder / "mobilenet_v2.onnx"),
        "whole.tflite": tflite_file(whole, folder / "whole.tflite"),
        "partial.tflite": tflite_file(topk_rfft, folder / "partial.tflite"),
        "whole.onnx": onnx_file(whole, folder / "whole.onnx"),
        "partial.onnx": onnx_file(topk_erf, folder / "partial.onnx"),
    }
    return {
        name: device_view(DeviceSpec("tflite" if name.endswith("tflite") else "onnx", path, None))[
            0
        ]
        for name, path in files.items()
    }


def test_a_small_conv_model_runs_whole_on_xnnpack(views: dict[str, DeviceView]) -> None:
    xnnpack = views["whole.tflite"].xnnpack
    assert xnnpack is not None and xnnpack.full and xnnpack.left_out == []
    assert views["whole.tflite"].gpu and views["whole.tflite"].gpu.startswith("not checked")


def test_mobilenet_v2_runs_whole_on_xnnpack_nnapi_and_coreml(views: dict[str, DeviceView]) -> None:
    xnnpack = views["mobilenet_v2.tflite"].xnnpack
    assert xnnpack is not None and xnnpack.full and xnnpack.left_out == []
    assert xnnpack.delegated_ops == xnnpack.total_ops > 60  # every conv, add, pool, dense
    mobile = views["mobilenet_v2.onnx"].mobile
    assert [m.provider for m in mobile] == list(MOBILE_PROVIDERS)
    for runtime in mobile:
        assert runtime.full and runtime.partitions == 1 and runtime.suitability == "YES"
        assert runtime.supported_nodes == runtime.total_nodes > 60 and not runtime.unsupported_ops


def test_topk_and_rfft_stay_off_xnnpack_named_with_their_nodes(
    views: dict[str, DeviceView],
) -> None:
    xnnpack = views["partial.tflite"].xnnpack
    assert xnnpack is not None and not xnnpack.full
    left = {o.op: o.nodes for o in xnnpack.left_out}
    assert {"TOPK_V2", "RFFT2D"} <= set(left)
    assert all(nodes for nodes in left.values())
    assert xnnpack.delegated_ops + sum(len(n) for n in left.values()) == xnnpack.total_ops


def test_a_small_conv_model_is_one_partition_on_nnapi_and_coreml(
    views: dict[str, DeviceView],
) -> None:
    view = views["whole.onnx"]
    assert [m.provider for m in view.mobile] == list(MOBILE_PROVIDERS)
    assert all(m.full and m.suitability == "YES" for m in view.mobile)
    assert view.opset == 17 and view.min_onnxruntime is None and view.problems == []  # not recorded


def test_topk_and_erf_split_the_mobile_partitions_named(views: dict[str, DeviceView]) -> None:
    nnapi = views["partial.onnx"].mobile[0]
    assert nnapi.provider == "NNAPI" and not nnapi.full
    unsupported = {u.op: u.nodes for u in nnapi.unsupported_ops}
    assert {"TopK", "Erf"} <= set(unsupported) and all(unsupported.values())
    assert nnapi.supported_nodes < nnapi.total_nodes and nnapi.suitability != "YES"
