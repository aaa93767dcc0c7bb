"""Build the small model `make demo` converts: a Keras 3 image classifier, exported as a SavedModel.

Weights are seeded, so every run builds the same model. Usage: make_demo_model.py OUTPUT_DIR
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def build(output_dir: Path) -> None:
    import keras

    keras.utils.set_random_seed(7)
    inputs = keras.Input(shape=(32, 32, 3), name="image")
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(32, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="probabilities")(x)
    model = keras.Model(inputs, outputs, name="tiny_classifier")
    model.export(str(output_dir), verbose=False)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    target = Path(sys.argv[1])
    if (target / "saved_model.pb").exists():
        print(f"demo model already built: {target}")
    else:
        build(target)
        print(f"built demo model: {target}")
