"""The base model's original on the head's validation inputs, compared with the head's outputs:
one more worker task (convert/behaviour.py) after the base's SavedModel is readied by the same
session and stages as any run (resolve, check, materialize, scan).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from ..convert.specs import BehaviourSpec
from ..convert.tasks import compare_behaviour
from ..errors import HubConvertError
from ..report.comparison_schema import Behaviour
from ..report.schema import Report
from ..workers.pool import TaskError, WorkerFailure
from .config import ConvertConfig
from .session import run_session

Log = Callable[[str], None]


def measure_behaviour(
    config: ConvertConfig, base: Report, head_samples: Path, log: Log, debug: bool
) -> Behaviour:
    """Run the base's original (``config.model``) on the head's validation inputs in a worker;
    compare outputs. Any failure is a Behaviour that says why, never an error."""
    log("running the base model on the head's validation inputs")
    try:
        with run_session(
            config, log, debug=debug, prefix="hub-convert-behaviour-", keep_when_debugging=False
        ) as session:
            source = session.resolve()
            with session.stages(source, 1) as stages:
                source = stages.materialize_and_scan(source)
                shutil.copyfile(head_samples, stages.samples_path)
                spec = BehaviourSpec(
                    saved_model_dir=source.saved_model_dir,
                    tags=tuple(base.source.tags),
                    signature=base.source.signature,
                    samples_path=stages.samples_path,
                    log_path=stages.log_path,
                )
                return stages.pool.result(stages.pool.submit(compare_behaviour, spec))
    except (HubConvertError, TaskError, WorkerFailure) as exc:
        log(f"behaviour not compared: {exc}")
        return Behaviour(compared=False, reason=str(exc))
