"""What a run sets up before its stages, shared by the conversion (pipeline.py) and the base's
behaviour run (behaviour.py): a private work directory, the model resolved and checked in
this process, and a worker pool lent that directory. When this process is root and the
image's unprivileged user exists, the workers run as that user (isolation.py): the work
directory, and the TF Hub cache while they run, are lent to it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from .. import sources
from ..convert.tasks import initialize_worker
from ..errors import BadInputError
from ..safety import unsafe_ops
from ..sources.hub import cache_dir
from ..sources.source_model import SourceModel
from ..workers import isolation
from ..workers.log_echo import LogEcho
from ..workers.pool import WorkerPool
from .config import ConvertConfig
from .stages import Stages
from .timings import Clock

Log = Callable[[str], None]
# TensorFlow expands these in the paths it reads a SavedModel's variables from (a glob).
_GLOB_CHARACTERS = re.compile(r"[*?\[\]]")


class RunSession:
    """One run's work directory, clock and worker user; resolves the model and starts the
    pool its stages run in."""

    def __init__(self, config: ConvertConfig, log: Log, work_dir: Path, debug: bool) -> None:
        self.config = config
        self.log = log
        self.debug = debug
        self.user = isolation.worker_user()
        self.clock = Clock()
        self.work_dir = work_dir
        # Under --debug too the workers write to this file (workers/log_echo.py shows it).
        self.log_path = work_dir / "tensorflow.log"

    def resolve(self) -> SourceModel:
        """The model as a SourceModel, refused here when it names unsafe ops (before any
        worker exists) or when the workers' user could not read it."""
        config = self.config
        with self.clock.stage("resolve"):
            source = sources.resolve(
                config.model,
                work_dir=self.work_dir,
                kind=config.source_kind,
                allow_unsafe=config.allow_unsafe,
                graph_inputs=config.graph_inputs,
                graph_outputs=config.graph_outputs,
            )
        if not config.allow_unsafe_ops:
            unsafe_ops.check(source.display_path, source.unsafe_ops, allowed=False, log=self.log)
        if self.user is not None:
            _check_readable(config, source, self.user)
        return self._without_glob_characters(source)

    def _without_glob_characters(self, source: SourceModel) -> SourceModel:
        """``source`` read through a link with a plain name in the work directory when its
        SavedModel's path holds a character TensorFlow would take for a glob (``[``): loading
        it by that path fails. Its output names still come from the directory's own name."""
        path = source.saved_model_dir
        if source.materializer is not None or not _GLOB_CHARACTERS.search(str(path)):
            return source
        link = self.work_dir / "source_model"
        os.symlink(path.absolute(), link, target_is_directory=True)
        return dataclasses.replace(source, saved_model_dir=link, stem=source.stem or path.name)

    @contextlib.contextmanager
    def stages(
        self,
        source: SourceModel,
        workers: int,
        *,
        fresh_worker_per_task: bool = False,
        preload_latency: bool = False,
    ) -> Iterator[Stages]:
        """The run's stages in a pool of ``workers`` processes, the work directory (and the
        TF Hub cache for a Hub model) lent to their user while it lives."""
        config = self.config
        shared = [cache_dir()] if source.kind == "hub" else []
        initargs = (self.log_path, config.memory_limit(workers))
        echo = LogEcho(self.log_path) if self.debug else contextlib.nullcontext()
        with (
            echo,
            isolation.lent_to(self.user, self.work_dir, shared),
            WorkerPool(
                workers,
                config.timeout,
                initialize_worker,
                initargs,
                self.user,
                max_tasks=1 if fresh_worker_per_task else 0,
            ) as pool,
        ):
            yield Stages(
                config,
                pool,
                self.work_dir,
                self.log_path,
                self.log,
                self.debug,
                self.clock,
                preload_latency,
            )


@contextlib.contextmanager
def run_session(
    config: ConvertConfig,
    log: Log,
    *,
    debug: bool,
    prefix: str = "hub-convert-",
    keep_when_debugging: bool = True,
) -> Iterator[RunSession]:
    """A RunSession whose work directory is removed afterwards (kept, and said so, under
    ``--debug`` when ``keep_when_debugging``)."""
    work_dir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield RunSession(config, log, work_dir, debug)
    finally:
        if debug and keep_when_debugging:
            log(f"work directory kept for debugging: {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


def _check_readable(config: ConvertConfig, source: SourceModel, user: isolation.WorkerUser) -> None:
    """What workers read in place must be readable by their user (not an archive: this process
    extracts it into the work directory)."""
    paths = [] if source.kind in ("hub", "archive") else [Path(config.model)]
    if config.representative_data is not None:
        paths.append(config.representative_data)
    for path in paths:
        denied = isolation.unreadable_by(user, path)
        if denied is not None:
            raise BadInputError(
                f"{path}: {denied} is not readable by user {user.name} (uid {user.uid}), which "
                "runs the model code; make it readable for all users (chmod -R a+rX)"
            )
