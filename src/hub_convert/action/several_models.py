"""The Action with several models (the ``models`` input): each path or glob expanded in the
workspace; on a pull request, a model whose files are the same as at the base commit is listed
as unchanged and not converted, one gone since the base as deleted; the others are converted
(with their comparison) into ``<output-dir>/<model>``, published one by one (summary, workflow
artifact, release assets), and the pull request gets one combined comment.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ..errors import BadInputError
from ..fsutil import write_atomic
from ..github.combined_comment import ModelSection, build_combined_comment_body, combined_markdown
from ..github.comment_body import comment_key
from ..github.comment_stage import publish_comment
from ..github.context import GitHubContext
from ..github.ownership import chown_like_workspace
from ..github.publish_result import PublishResult
from ..github.publisher import publish
from ..github.report_files import display_path
from ..github.step_outputs import annotate_report, model_entry, report_outputs
from ..github.workflow_commands import WorkflowCommands
from ..run.base_run import Base, default_cache
from ..run.config import ConvertConfig
from ..run.execute import execute
from ..run.git_base import pull_request_base
from ..run.model_files import content_hash
from ..run.model_plan import expand, model_names
from .inputs import ActionRun, check_inside_workspace, model_config


def _model_config(parsed: ActionRun, model: str, name: str) -> ConvertConfig:
    values = dict(parsed.values) | {
        "model": model,
        "output-dir": str(parsed.config.output_dir / name),
    }
    return model_config(values)


def run_models(
    parsed: ActionRun,
    context: GitHubContext,
    workspace: Path,
    env: Mapping[str, str],
    commands: WorkflowCommands,
) -> int:
    """Convert, publish and comment on every model. Exit code: 0 when every converted model
    passed and publishing worked, 1 otherwise (bad input raises, exit 2)."""
    models = expand(parsed.models)
    for model in models:
        check_inside_workspace(model, workspace, "models")
    names = model_names(models)
    sections: list[tuple[ModelSection, Path | None]] = []
    with tempfile.TemporaryDirectory(prefix="hub-convert-bases-") as scratch:
        os.chmod(scratch, 0o755)  # the workers' user reads each base model under it
        # Each model gets worker pools of its own (one TensorFlow import each), never another
        # model's: a model's code can tamper with the workers it runs in, and a model the pull
        # request did not change still gets converted when compare is not auto, so one model's
        # verdict must not rest on workers another model ran in. A model's pools are also sized
        # for it (memory limit, worker count, a fresh worker per task for a big one).
        for index, model in enumerate(models):
            config = _model_config(parsed, model, names[model])
            with commands.group(f"Convert {model}"):
                base = None
                if parsed.compare == "auto":
                    dest = Path(scratch) / str(index)
                    base = pull_request_base(context, workspace, model, dest, commands.info)
                sections.append(
                    (_one_model(parsed, config, base, env, commands), config.output_dir)
                )
    return _publish(parsed, sections, names, context, workspace, commands)


def _one_model(
    parsed: ActionRun,
    config: ConvertConfig,
    base: Base | None,
    env: Mapping[str, str],
    commands: WorkflowCommands,
) -> ModelSection:
    model = config.model
    if not Path(model).exists():
        if base is not None and base.model is not None:
            commands.info(f"{model} is gone since the base ({base.label}): deleted")
            return ModelSection(model, "deleted", base=base.label)
        raise BadInputError(f"input models: {model}: no such file or directory")
    if base is not None and base.model and content_hash(model) == content_hash(base.model):
        commands.info(f"{model}: the same files as at {base.label}; not converted")
        return ModelSection(model, "unchanged", base=base.label)
    if base is not None and base.reason:
        commands.notice(f"{model}: not compared with the base: {base.reason}")
    cache = default_cache(env)
    report = execute(
        config, commands.info, base=base, cache=cache, debug=parsed.debug, notice=commands.notice
    )
    return ModelSection(model, "converted", report=report, base=base.label if base else None)


def _publish(
    parsed: ActionRun,
    sections: list[tuple[ModelSection, Path | None]],
    names: Mapping[str, str],
    context: GitHubContext,
    workspace: Path,
    commands: WorkflowCommands,
) -> int:
    settings = parsed.settings
    output_dir = parsed.config.output_dir
    results: list[PublishResult] = []
    entries: list[dict[str, object]] = []
    artifacts: list[object] = []
    try:
        for section, report_dir in sections:
            report = section.report
            if report is None or report_dir is None:
                entries.append(model_entry(None, None, model=section.model, state=section.state))
                continue
            annotate_report(report, commands)
            entries.append(model_entry(report, report_dir, model=section.model))
            artifacts += json.loads(report_outputs(report, report_dir)["artifacts"])
            own = dataclasses.replace(
                settings,
                comment="never",  # one combined comment below
                comment_key=None,  # the model path: each artifact gets its own default name
                artifact_name=(
                    f"{settings.artifact_name}-{names[section.model]}"
                    if settings.artifact_name
                    else ""
                ),
            )
            result = publish(report, report_dir, own, context, commands)
            results.append(result)
            entries[-1] |= {
                "artifact-name": result.artifact_name or "",
                "artifact-url": result.artifact_url or "",
            }
        shown = [section for section, _ in sections]
        combined = output_dir / "report.md"
        write_atomic(combined, combined_markdown(shown, details=True))
        key = comment_key(settings.comment_key or "models")

        def body_for(artifact_url: str | None, limit: int) -> str:
            return build_combined_comment_body(
                shown, key=key, run_url=context.run_url, artifact_url=artifact_url, limit=limit
            )

        comment = publish_comment(body_for, key, settings, context, commands)
    finally:
        chown_like_workspace([output_dir], workspace)
    converted = [s.report for s in shown if s.report is not None]
    passed = all(r.verdict.passed for r in converted)
    commands.set_outputs(
        {
            "report-path": display_path(combined),
            "report-json": "",
            "passed": "true" if passed else "false",
            "tflite-path": "",
            "onnx-path": "",
            "artifacts": json.dumps(artifacts, separators=(",", ":")),
            "reports": json.dumps(entries, separators=(",", ":")),
            "comment-url": comment.comment_url or "",
            "comment-body": comment.comment_body,
            # Several uploads: each model's is in its "reports" entry.
            "artifact-name": "",
            "artifact-id": "",
            "artifact-url": "",
            "release-assets": json.dumps(
                [url for r in results for url in r.release_asset_urls], separators=(",", ":")
            ),
        }
    )
    for section in shown:
        report = section.report
        line = section.state if report is None else report.verdict.line
        commands.info(f"{section.model}: {line}")
    ok = all(r.ok for r in results) and comment.ok
    return 0 if passed and ok else 1
