"""The original model as TensorFlow sees it: signature, IO specs, op inventory, reference outputs.

Runs inside a worker process (imports TensorFlow lazily). Everything it returns is plain data.
"""

from __future__ import annotations

import time

from ..errors import BadInputError
from . import rederive
from .composite_inputs import read_composite_inputs
from .determinism import check_repeatable
from .device.second_shape_reference import record_second_shapes
from .fixed_shape import export_for_variants
from .graph_facts import read_graph_facts
from .inputs import INPUT_NOTE
from .op_types import count_ops
from .samples import Samples
from .signature import load_signature, read_meta_graphs, select_meta_graph, signature_io
from .specs import PreparedSource, PrepareSpec, StageMark
from .tf_errors import describe_failure
from .validation_inputs import choose_validation_inputs


def prepare(spec: PrepareSpec) -> PreparedSource:
    """Inspect the model, choose the validation (and calibration) inputs, record the outputs.

    With ``representative_data`` the samples are the user's (checked against the signature);
    otherwise they are synthetic and seeded, at shapes the model accepts (see inputs.py).
    Calibration samples are written to ``calibration_path`` when ``calibration_samples`` > 0.
    """
    display_path = spec.display_path
    began = time.time()
    selection, meta_graph = select_meta_graph(
        read_meta_graphs(spec.saved_model_dir), spec.tags, spec.signature, display_path
    )
    chosen_tags, chosen, available = selection.tags, selection.signature, selection.available
    try:
        loaded, function = load_signature(spec.saved_model_dir, chosen_tags, chosen)
    except Exception as exc:  # missing variables, a restore or initializer function that fails
        doing = "loading the model in TensorFlow"
        raise BadInputError(f"{display_path}: {describe_failure(doing, exc)}") from None
    inputs, outputs = signature_io(function)
    unknown = sorted(set(spec.input_shapes) - {t.name for t in inputs})
    if unknown:
        raise BadInputError(
            f"--input-shape: no input named {unknown[0]!r} in signature {chosen!r}; "
            f"inputs: {', '.join(t.name for t in inputs)}"
        )
    facts = read_graph_facts(function, [t.name for t in inputs])
    marks = [StageMark.since("load", began)]
    began = time.time()
    composites = read_composite_inputs(meta_graph, chosen, [t.name for t in inputs])
    chosen_inputs = choose_validation_inputs(function, inputs, spec, facts, composites)
    calibration = chosen_inputs.calibration
    if calibration and spec.calibration_path is not None:
        Samples([t.name for t in inputs], [], calibration, [{} for _ in calibration]).save(
            spec.calibration_path
        )
    sample_inputs, reference = chosen_inputs.samples, chosen_inputs.reference
    Samples(
        input_names=[t.name for t in inputs],
        output_names=[t.name for t in outputs],
        inputs=sample_inputs,
        outputs=reference,
        composites=[(c.kind, list(c.components)) for c in composites],
    ).save(spec.samples_path)
    # Run again (the first sample, or all when a random op is on the way): a random original
    # cannot validate anything.
    nondeterminism = check_repeatable(function, sample_inputs, reference) if reference else None
    cut_graphs = rederive.reproducing(facts.cut_graphs, sample_inputs, reference) if facts else {}
    if spec.second_shape_path is not None:  # now, so the second-shape check loads no model
        declared = {t.name: t.shape for t in inputs}
        record_second_shapes(
            function, Samples.load(spec.samples_path), declared, spec.second_shape_path
        )
    marks.append(StageMark.since("reference", began))
    fixed_shape = None
    if spec.fixed_shape_dir is not None:  # saved while the model is loaded, once for all variants
        began = time.time()
        fixed_shape = export_for_variants(loaded, function, inputs, facts, spec.fixed_shape_dir)
        marks.append(StageMark.since("export", began))
    del loaded
    data_source = chosen_inputs.data_source
    index_notes = facts.index_notes if facts and data_source == "synthetic" else {}
    return PreparedSource(
        signature=chosen,
        available_signatures=available,
        tags=chosen_tags,
        inputs=inputs,
        outputs=outputs,
        op_counts=facts.op_counts if facts else count_ops(meta_graph, chosen),
        input_note=INPUT_NOTE,
        fixed_dimensions=chosen_inputs.fixed_dimensions,
        input_choices=[
            *chosen_inputs.composite_notes,
            *(f"{name}: {note}" for name, note in sorted(index_notes.items())),
        ],
        sample_count=len(sample_inputs),
        data_source=data_source,
        calibration_note=chosen_inputs.calibration_note,
        warnings=chosen_inputs.warnings,
        order_depends_on=facts.order_depends_on if facts else {},
        cut_graphs=cut_graphs,
        fixed_shape=fixed_shape,
        marks=marks,
        composite_inputs=[(c.name, list(c.components)) for c in composites],
        nondeterminism=nondeterminism,
    )
