"""Spawned workers re-run the parent's main script (the console script, the Action's
entrypoint.py): what it imports at module level, every worker imports again."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from support.paths import ROOT

CONSOLE_SCRIPT = Path(sys.executable).with_name("hub-convert")

HEAVY = {"github", "pydantic", "jinja2", "hub_convert.cli.commands", "hub_convert.run.config"}
# The console script's own import, then a task the worker runs: the modules it has loaded.
PROBE = textwrap.dedent(
    """
    import sys
    from hub_convert.cli import main


    def loaded_modules() -> list[str]:
        return sorted(sys.modules)


    if __name__ == "__main__":
        from hub_convert.workers.pool import WorkerPool

        with WorkerPool(1, 120) as pool:
            print("\\n".join(pool.result(pool.submit(loaded_modules))))
    """
)


def test_console_script_imports_only_the_cli_package() -> None:
    imports = [
        line
        for line in CONSOLE_SCRIPT.read_text().splitlines()
        if line.startswith(("import ", "from "))
    ]
    assert imports == ["import sys", "from hub_convert.cli import main"]


def test_a_worker_does_not_import_the_command_line(tmp_path: Path) -> None:
    script = tmp_path / "console_script.py"
    script.write_text(PROBE)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=True
    )
    worker_modules = set(done.stdout.split())
    assert "hub_convert.cli" in worker_modules  # spawn did re-run the main module
    assert not HEAVY & worker_modules


def test_a_worker_does_not_import_the_action() -> None:
    # What spawn's preparation does with the parent's main script in each worker.
    rerun = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__mp_main__'); "
    rerun += "print('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", rerun, str(ROOT / "entrypoint.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    worker_modules = set(done.stdout.split())
    assert "hub_convert.workers.isolation" in worker_modules  # the script did run
    assert not (HEAVY | {"hub_convert.action.entry"}) & worker_modules
