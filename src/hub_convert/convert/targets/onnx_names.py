"""ONNX names that differ from the signature's: inputs whose case TensorFlow changed, outputs
renamed apart from an input of the same name."""

from __future__ import annotations

from typing import Any

# ONNX names every value once, but a TF1 Hub module's signature often calls both its input
# and its output "default". Such an output gets this suffix in the file, and the metadata
# entry below maps it back to the signature's name for validation.
RENAMED_OUTPUT_SUFFIX = "_output"


RENAMED_OUTPUTS_KEY = "hub_convert.renamed_outputs"


def distinct_output_names(
    renames: dict[str, str], inputs: list[str], outputs: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """tf2onnx's renames with no output named like an input; and {onnx name: signature name}."""
    taken = {renames.get(name, name) for name in inputs}
    result = dict(renames)
    renamed: dict[str, str] = {}
    for tensor in outputs:
        wanted = name = renames.get(tensor, tensor)
        while name in taken:
            name += RENAMED_OUTPUT_SUFFIX
        if name != wanted:
            result[tensor] = name
            renamed[name] = wanted
        taken.add(name)
    return result, renamed


def restore_input_names(model: Any, names: list[str]) -> None:
    """Rename graph inputs that differ from a signature input name only by case."""
    by_lower = {name.lower(): name for name in names}
    renames = {
        graph_input.name: by_lower[graph_input.name.lower()]
        for graph_input in model.graph.input
        if graph_input.name not in names and graph_input.name.lower() in by_lower
    }
    if not renames:
        return
    for graph_input in model.graph.input:
        graph_input.name = renames.get(graph_input.name, graph_input.name)

    def visit(graph: Any) -> None:
        for node in graph.node:
            for index, name in enumerate(node.input):
                if name in renames:
                    node.input[index] = renames[name]
            for attribute in node.attribute:
                if attribute.HasField("g"):
                    visit(attribute.g)
                for sub in attribute.graphs:
                    visit(sub)

    visit(model.graph)
