"""Spawned workers re-run the console script: what it imports, every worker imports again."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CONSOLE_SCRIPT = Path(sys.executable).with_name("hub-convert")

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
    heavy = {"github", "pydantic", "jinja2", "hub_convert.cli.commands", "hub_convert.run.config"}
    assert not heavy & worker_modules
