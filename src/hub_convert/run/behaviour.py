"""The base model's original on the head's validation inputs, compared with the head's outputs:
one more worker task (convert/behaviour.py). After a base conversion it runs in that
conversion's workers (measure_in_base_run); with a cached base report, in a session and stages
of its own (resolve, check, materialize, scan) that first read the base's interface (tag set,
signature, inputs and outputs) and hold the report to it: the cache is untrusted, the model is
what it is.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..convert.specs import BehaviourSpec, PreparedSource
from ..convert.tasks import compare_behaviour
from ..errors import HubConvertError
from ..report.comparison_schema import Behaviour
from ..report.plain_text import printable
from ..report.schema import Report
from ..sources.source_model import SourceModel
from ..workers.pool import TaskError, WorkerFailure
from .base_interface import Interface, interface_difference, read_interface
from .config import ConvertConfig
from .session import run_session
from .stages import Stages

Log = Callable[[str], None]


@dataclass(frozen=True)
class MeasuredBehaviour:
    """The behaviour comparison, or why the base's report does not describe the base model
    (then nothing was compared)."""

    behaviour: Behaviour
    interface_problem: str | None = None


def measure_behaviour(
    config: ConvertConfig,
    base: Report,
    head_samples: Path,
    log: Log,
    debug: bool,
    *,
    check_interface: bool = False,
) -> MeasuredBehaviour:
    """Run the base's original (``config.model``) on the head's validation inputs in a worker
    of a session of its own; compare outputs. With ``check_interface``, first check that
    ``base`` describes that model's interface. Any failure is a Behaviour that says why, never
    an error."""
    log("running the base model on the head's validation inputs")
    try:
        with run_session(
            config, log, debug=debug, prefix="hub-convert-behaviour-", keep_when_debugging=False
        ) as session:
            source = session.resolve()
            with session.stages(source, 1) as stages:
                source = stages.materialize_and_scan(source)
                if check_interface:
                    problem = _interface_problem(stages, source, base)
                    if problem is not None:
                        return MeasuredBehaviour(Behaviour(compared=False), problem)
                return MeasuredBehaviour(
                    _compare(stages, source, base.source.tags, base.source.signature, head_samples)
                )
    except (HubConvertError, TaskError, WorkerFailure) as exc:
        if check_interface:  # unconfirmed: the cached report is not believed
            return MeasuredBehaviour(
                Behaviour(compared=False), f"the base model's interface could not be read: {exc}"
            )
        log(f"behaviour not compared: {exc}")
        return MeasuredBehaviour(Behaviour(compared=False, reason=str(exc)))


def measure_in_base_run(
    stages: Stages, source: SourceModel, prepared: PreparedSource, head_samples: Path, log: Log
) -> MeasuredBehaviour:
    """The same comparison in the workers of the base's own conversion, once it is done
    (pipeline.run's ``then``): the base model is readied already, its tag set and signature
    chosen. Only the base ever ran in these workers: never run this in a run of the head."""
    log("running the base model on the head's validation inputs")
    try:
        return MeasuredBehaviour(
            _compare(stages, source, prepared.tags, prepared.signature, head_samples)
        )
    except (HubConvertError, TaskError, WorkerFailure) as exc:
        log(f"behaviour not compared: {exc}")
        return MeasuredBehaviour(Behaviour(compared=False, reason=str(exc)))


def _compare(
    stages: Stages, source: SourceModel, tags: list[str], signature: str, head_samples: Path
) -> Behaviour:
    """The base's original run on ``head_samples`` in ``stages``' pool, compared."""
    samples_path = stages.work_dir / "head_samples.npz"
    shutil.copyfile(head_samples, samples_path)
    spec = BehaviourSpec(
        saved_model_dir=source.saved_model_dir,
        tags=tuple(tags),
        signature=signature,
        samples_path=samples_path,
        log_path=stages.log_path,
    )
    behaviour: Behaviour = stages.pool.result(stages.pool.submit(compare_behaviour, spec))
    return behaviour


def _interface_problem(stages: Stages, model: SourceModel, base: Report) -> str | None:
    """How ``base`` misdescribes ``model``'s tag set, signature, inputs or outputs, or None."""
    claimed = base.source
    selection = stages.select(model)  # as the base's own conversion chose them
    if selection.tags != sorted(claimed.tags) or selection.signature != claimed.signature:
        return (
            f"it names signature {printable(claimed.signature, 80)!r}, the base model's is "
            f"{selection.signature!r} (or the tag sets differ)"
        )
    future = stages.pool.submit(
        read_interface, model.saved_model_dir, selection.tags, selection.signature, stages.log_path
    )
    observed: Interface = stages.pool.result(future)
    return interface_difference((claimed.inputs, claimed.outputs), observed)
