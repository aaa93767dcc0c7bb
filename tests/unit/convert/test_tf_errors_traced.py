"""A traced function's error ("in user code:") in one line: the exception, the node and op,
and what to do when the input is too small (issue 9: SpliceAI at sequence length 16 was
reported as "ValueError: in user code: (node model_1/conv1d_39/Conv1D)")."""

from __future__ import annotations

import pytest

from hub_convert.convert.tf_errors import describe_failure, one_line


def _traced_error() -> Exception:
    """Trace a Conv1D whose kernel (5) is longer than the input (2), as Keras would."""
    import numpy as np
    import tensorflow as tf

    kernel = tf.constant(np.ones((5, 4, 8), np.float32))

    @tf.function(input_signature=[tf.TensorSpec([1, 2, 4], tf.float32)])
    def serving(x: tf.Tensor) -> tf.Tensor:
        with tf.name_scope("model_1/conv1d_39"):
            return tf.nn.conv1d(x, kernel, stride=1, padding="VALID", name="Conv1D")

    try:
        serving.get_concrete_function()
    except Exception as exc:  # the error TensorFlow raises is what is tested
        return exc
    raise AssertionError("tracing did not fail")


@pytest.mark.tf
def test_traced_shape_error_names_the_node_the_cause_and_the_fix() -> None:
    exc = _traced_error()
    assert str(exc).lstrip().startswith("in user code:")  # the form that was reported badly
    line = describe_failure("the conversion", exc)
    assert "\n" not in line and "in user code" not in line and "{{node" not in line
    assert line.startswith("the conversion failed: ValueError: Negative dimension size")
    assert "node model_1/conv1d_39/Conv1D (Conv2D)" in line
    assert "with input shapes: [1,1,2,4], [1,5,4,8]" in line
    assert line.endswith(
        "the input is too small for this layer: pass a larger one with --input-shape"
    )


def test_other_errors_keep_their_first_line_and_node() -> None:
    error = ValueError("Graph execution error:\n\nDetected at node 'model/dense/MatMul'\nboom")
    assert one_line(error) == "ValueError: boom (node model/dense/MatMul)"


def test_one_tensor_bigger_than_the_machine_is_not_told_to_raise_the_limit() -> None:
    """A SparseTensor input declared [1, 2**40] made dense by the model: TensorFlow's
    allocator refuses 4 TiB; doubling --max-memory (the advice before) cannot help."""
    import tensorflow as tf

    sparse = tf.SparseTensor([[0, 3]], [1.0], [1, 2**40])
    try:
        tf.sparse.to_dense(sparse)
    except Exception as exc:  # the error TensorFlow raises is what is tested
        reason = describe_failure("running the model", exc)
    else:
        raise AssertionError("a 4 TiB tensor was allocated")

    assert reason.startswith(
        "running the model ran out of memory: one tensor of 4.1e+03 GiB asked for, more than "
        "this machine's "
    )
    assert "--max-memory" not in reason and "\n" not in reason
