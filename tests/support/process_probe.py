"""Which process of a CLI run read which model, and which imported TensorFlow.

An observer, not a stand-in: ``probe_env`` puts a ``sitecustomize`` on ``PYTHONPATH`` that
every Python process of the run (the CLI and each spawned worker) imports at startup; it
installs an audit hook that appends to one file per process the paths it opens under the
watched directories and its import of TensorFlow. Nothing the run does is changed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

_SITECUSTOMIZE = """
import os
import sys

_OUT = os.environ.get("PROCESS_PROBE_DIR")
if _OUT:
    _WATCHED = tuple(os.environ["PROCESS_PROBE_WATCH"].split(os.pathsep))
    _FD = os.open(
        os.path.join(_OUT, str(os.getpid())), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666
    )
    os.write(_FD, f"ppid {os.getppid()}\\n".encode())

    def _probe(event, args):
        if event == "open" and isinstance(args[0], str) and args[0].startswith(_WATCHED):
            os.write(_FD, f"open {args[0]}\\n".encode())
        elif event == "import" and args[0] == "tensorflow":
            os.write(_FD, b"import tensorflow\\n")

    sys.addaudithook(_probe)
"""


@dataclass
class ProcessRecord:
    """One process: its parent, the watched paths it opened, whether it imported TensorFlow."""

    pid: int
    ppid: int
    opened: list[str] = field(default_factory=list)
    imported_tensorflow: bool = False

    def opened_under(self, directory: Path) -> bool:
        """Whether this process opened anything under ``directory``."""
        prefix = str(directory.resolve()) + os.sep
        return any(path.startswith(prefix) for path in self.opened)


def probe_env(probe_dir: Path, watched: list[Path]) -> dict[str, str]:
    """Environment variables for ``run_cli`` that make every process of the run record itself
    in ``probe_dir`` (what it opens under the ``watched`` directories)."""
    probe_dir.mkdir(parents=True, exist_ok=True)
    probe_dir.chmod(0o777)  # the workers may run as another user
    site = probe_dir / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    return {
        "PYTHONPATH": path,
        "PROCESS_PROBE_DIR": str(probe_dir),
        "PROCESS_PROBE_WATCH": os.pathsep.join(str(p.resolve()) for p in watched),
    }


def workers_of_run(probe_dir: Path) -> list[ProcessRecord]:
    """The records of the processes the CLI (this process's child) started."""
    records = {}
    for file in probe_dir.iterdir():
        if not file.name.isdigit():
            continue
        lines = file.read_text().splitlines()
        record = ProcessRecord(int(file.name), int(lines[0].split()[1]))
        for line in lines[1:]:
            kind, _, detail = line.partition(" ")
            if kind == "open":
                record.opened.append(detail)
            elif line == "import tensorflow":
                record.imported_tensorflow = True
        records[record.pid] = record
    (cli,) = [r for r in records.values() if r.ppid == os.getpid()]
    return [r for r in records.values() if r.ppid == cli.pid]
