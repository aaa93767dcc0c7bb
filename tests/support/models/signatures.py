"""Models whose interface is the point: two signatures, two inputs and outputs of
different dtypes, mixed-case names, a string input, a lookup table resource."""

from __future__ import annotations

from pathlib import Path


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
