"""crash_site: the node TensorFlow died in, from its executor log (lines recorded from
TensorFlow 2.21 on this toolchain with TF_CPP_VMODULE=executor=1)."""

from __future__ import annotations

from hub_convert.workers.crash_site import crash_site

_PREFIX = "I0000 00:00:1795337613.5527{}    {} executor.cc:879] Process node: {} step -44980 "

FUSED = (
    _PREFIX.format(23, 8871, 10)
    + "{{node StatefulPartitionedCall/Relu}} = _MklNativeFusedConv2D[T=DT_FLOAT, "
    'TArgs=[DT_FLOAT, DT_FLOAT], data_format="NHWC", fused_ops=["BiasAdd", "Add", "Relu"], '
    'num_args=2, padding="SAME"](x, StatefulPartitionedCall/Conv2D/ReadVariableOp) device: '
    "/job:localhost/replica:0/task:0/device:CPU:0"
)
OTHER_THREAD = (
    _PREFIX.format(24, 8872, 11)
    + "{{node StatefulPartitionedCall/mul}} = Mul[T=DT_FLOAT](a, b) device: CPU:0"
)


def test_the_last_node_started_is_named_with_what_it_fuses() -> None:
    site = crash_site("noise\n" + OTHER_THREAD + "\n" + FUSED + "\n")
    assert site is not None
    assert site.describe() == (
        "TensorFlow was running node 'StatefulPartitionedCall/Relu' "
        "(_MklNativeFusedConv2D fusing BiasAdd, Add, Relu) when it died"
    )


def test_the_fatal_line_s_thread_decides_among_concurrent_nodes() -> None:
    fatal = "F0000 00:00:1795337613.553    8871 control_flow_ops.cc:737] Check failed: x\x1b[0m"
    site = crash_site("\n".join([FUSED, OTHER_THREAD, fatal]))
    assert site is not None
    assert site.node == "StatefulPartitionedCall/Relu"  # not the later node of thread 8872
    assert site.fatal == "Check failed: x?[0m"  # control characters never reach the log


def test_no_node_logged_names_nothing() -> None:
    assert crash_site("I0000 00:00:1.2    1 port.cc:153] oneDNN custom operations are on") is None
