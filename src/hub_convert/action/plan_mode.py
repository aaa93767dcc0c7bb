"""The Action with ``mode: plan``: the models of the ``models`` input that a matrix of convert
jobs should cover, as the step outputs ``matrix`` (for ``fromJSON``) and ``count``. On a pull
request (``compare: auto``) only the models whose files changed since its base commit; nothing
is converted or published here, and neither TensorFlow nor numpy is imported.
"""

from __future__ import annotations

from pathlib import Path

from ..github.context import GitHubContext
from ..github.workflow_commands import WorkflowCommands
from ..run.git_base import base_sha_problem, pull_request_base_commit
from ..run.model_plan import expand, matrix_json, plan
from .inputs import ActionRun, check_inside_workspace


def run_plan_mode(
    parsed: ActionRun, context: GitHubContext, workspace: Path, commands: WorkflowCommands
) -> int:
    """Set the outputs matrix and count; exit code 0 (bad input raises, exit 2)."""
    for model in expand(parsed.models):
        check_inside_workspace(model, workspace, "models")
    base_sha = None
    if parsed.compare == "auto":
        problem = base_sha_problem(context)
        found = pull_request_base_commit(context)
        if problem:
            commands.notice(f"every model planned: {problem}")
        elif found is not None:
            base_sha = found[0]
    entries = plan(parsed.models, base_sha)
    since = f" changed since {base_sha[:12]}" if base_sha else ""
    commands.info(f"{len(entries)} model(s){since}: " + ", ".join(e["model"] for e in entries))
    commands.set_outputs({"matrix": matrix_json(entries), "count": str(len(entries))})
    return 0
