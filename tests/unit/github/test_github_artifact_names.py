"""Workflow artifact names: unique defaults per job, matrix entry and step, stable on re-runs;
a taken name, and ``overwrite`` (ListArtifacts + DeleteArtifact first)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from hub_convert.github.artifact_stage import default_artifact_name
from hub_convert.github.context import GitHubContext
from hub_convert.report.schema import Report
from support.github_fakes import RUNTIME_JOB_ID, RUNTIME_RUN_ID, TWIRP, FakeGitHub, publish_to_fake
from support.report_factory import sample_report


def variant_report(variants: str) -> Report:
    """The sample report as a run with other conversion settings writes it."""
    report = sample_report()
    command = f"{report.command} --tflite-variants {variants}"
    return report.model_copy(update={"command": command})


def test_matrix_entries_with_default_names_upload_side_by_side(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    # strategy.matrix.variants: [float32, float16]: one job id, two jobs of one workflow run,
    # each with its own runtime token; the same model, other settings.
    first = publish_to_fake(
        fake, tmp_path / "a", variant_report("float32"), runtime=True, upload_artifact=True
    )
    second = publish_to_fake(
        fake,
        tmp_path / "b",
        variant_report("float16"),
        runtime=True,
        upload_artifact=True,
        extra_env=fake.job_env("job-backend-matrix-2"),
    )

    assert first.result.ok and second.result.ok, second.log
    names = [first.outputs["artifact-name"], second.outputs["artifact-name"]]
    assert names[0] != names[1]
    assert all(re.fullmatch(r"hub-convert-models-tiny-convert-[0-9a-f]{8}", n) for n in names)
    assert [fake.artifacts[n].job for n in names] == [RUNTIME_JOB_ID, "job-backend-matrix-2"]
    assert not fake.requests("POST", r"/(ListArtifacts|DeleteArtifact)$")


def test_two_steps_of_one_job_with_the_same_settings_get_distinct_names(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    first = publish_to_fake(
        fake, tmp_path / "a", sample_report(), runtime=True, upload_artifact=True
    )
    # The runner names a second use of the action in a job __<owner>_<repo>_2.
    second = publish_to_fake(
        fake,
        tmp_path / "b",
        sample_report(),
        runtime=True,
        upload_artifact=True,
        extra_env={"GITHUB_ACTION": "__org_hub-convert-action_2"},
    )

    assert second.result.ok, second.log
    assert first.outputs["artifact-name"] != second.outputs["artifact-name"]
    assert len(fake.artifacts) == 2


def test_a_rerun_keeps_the_default_name_and_replaces_its_earlier_attempt(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    first = publish_to_fake(
        fake, tmp_path / "a", sample_report(), runtime=True, upload_artifact=True
    )
    # "Re-run jobs": attempt 2 of the same run, a new job run with its own backend id.
    rerun = publish_to_fake(
        fake,
        tmp_path / "b",
        sample_report(),
        runtime=True,
        upload_artifact=True,
        extra_env={"GITHUB_RUN_ATTEMPT": "2", **fake.job_env("job-backend-attempt-2")},
    )

    assert rerun.result.ok, rerun.log
    name = first.outputs["artifact-name"]
    assert rerun.outputs["artifact-name"] == name
    assert [a.artifact_id for a in fake.deleted_artifacts] == [first.result.artifact_id]
    assert fake.artifacts[name].artifact_id == rerun.result.artifact_id
    assert "Deleted the earlier attempt's artifact" in rerun.log


def test_default_names_are_readable_stable_and_tell_settings_apart() -> None:
    context = GitHubContext(job="convert", step="__org_hub-convert-action", runner="Linux/X64")
    command = "hub-convert convert models/tiny --output-dir out"

    name = default_artifact_name("models/tiny", command=command, context=context)

    assert re.fullmatch(r"hub-convert-models-tiny-convert-[0-9a-f]{8}", name)
    assert default_artifact_name("models/tiny", command=command, context=context) == name
    others = {
        default_artifact_name("models/tiny", command=f"{command} --opset 13", context=context),
        default_artifact_name("models/tiny", command=command, context=replace(context, step="c2")),
        default_artifact_name(
            "models/tiny", command=command, context=replace(context, runner="Linux/ARM64")
        ),
    }
    assert len(others) == 3 and name not in others
    # Outside a workflow job there is no job id; odd characters never reach the name.
    local = default_artifact_name(
        "https://tfhub.dev/a b/1", command=command, context=GitHubContext()
    )
    assert re.fullmatch(r"hub-convert-https-tfhub.dev-a-b-1-[0-9a-f]{8}", local)


def test_taken_name_is_one_error_line_naming_it_and_what_to_do(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    first = publish_to_fake(
        fake,
        tmp_path / "a",
        sample_report(),
        runtime=True,
        upload_artifact=True,
        artifact_name="converted",
    )
    # Another job of the same workflow run (a matrix entry) picks the same name.
    again = publish_to_fake(
        fake,
        tmp_path / "b",
        sample_report(),
        runtime=True,
        upload_artifact=True,
        artifact_name="converted",
        extra_env=fake.job_env("job-backend-matrix-2"),
    )

    assert not again.result.ok
    [error] = [line for line in again.log.splitlines() if line.startswith("::error")]
    assert error.endswith(
        "::workflow artifact 'converted' already exists in this workflow run (HTTP 409 from the "
        "results service); set `overwrite: true` to replace it, or choose another `artifact-name`"
    )
    assert again.outputs["artifact-url"] == "" and again.outputs["artifact-id"] == ""
    assert len(fake.requests("POST", r"/CreateArtifact$")) == 2  # a 409 is not retried
    assert not fake.requests("POST", r"/(ListArtifacts|DeleteArtifact)$")
    assert fake.artifacts["converted"].artifact_id == first.result.artifact_id  # untouched


def test_overwrite_deletes_the_other_jobs_artifact_then_uploads(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    first = publish_to_fake(
        fake,
        tmp_path / "a",
        sample_report(),
        runtime=True,
        upload_artifact=True,
        artifact_name="converted",
    )
    second = publish_to_fake(
        fake,
        tmp_path / "b",
        sample_report(passed=False),
        runtime=True,
        upload_artifact=True,
        artifact_name="converted",
        overwrite=True,
        extra_env=fake.job_env("job-backend-matrix-2"),
    )

    assert second.result.ok, second.log
    [old] = fake.deleted_artifacts
    assert old.artifact_id == first.result.artifact_id
    stored = fake.artifacts["converted"]
    assert stored.job == "job-backend-matrix-2"
    assert stored.artifact_id == second.result.artifact_id != first.result.artifact_id
    assert "tiny_float32.onnx" not in stored.zip_names()  # the second report's files
    # As actions/toolkit's deleteArtifactInternal: list by name, delete with the artifact's
    # own backend ids (the first job's), then create anew.
    twirp = [s.path.removeprefix(TWIRP) for s in fake.requests("POST", TWIRP)][-4:]
    assert twirp == ["ListArtifacts", "DeleteArtifact", "CreateArtifact", "FinalizeArtifact"]
    [listing] = fake.requests("POST", r"/ListArtifacts$")
    assert listing.json() == {
        "workflow_run_backend_id": RUNTIME_RUN_ID,
        "workflow_job_run_backend_id": "job-backend-matrix-2",
        "name_filter": "converted",
    }
    [delete] = fake.requests("POST", r"/DeleteArtifact$")
    assert delete.json() == {
        "workflow_run_backend_id": RUNTIME_RUN_ID,
        "workflow_job_run_backend_id": RUNTIME_JOB_ID,
        "name": "converted",
    }
    assert f"Deleted the earlier artifact 'converted' (id {old.artifact_id})" in second.log


def test_overwrite_without_an_earlier_artifact_just_uploads(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    published = publish_to_fake(
        fake,
        tmp_path,
        sample_report(),
        runtime=True,
        upload_artifact=True,
        artifact_name="converted",
        overwrite=True,
    )

    assert published.result.ok
    assert len(fake.requests("POST", r"/ListArtifacts$")) == 1
    assert not fake.requests("POST", r"/DeleteArtifact$") and not fake.deleted_artifacts
    assert fake.artifacts["converted"].artifact_id == published.result.artifact_id


def test_a_failed_delete_is_logged_and_the_upload_still_reports_the_conflict(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    publish_to_fake(
        fake,
        tmp_path / "a",
        sample_report(),
        runtime=True,
        upload_artifact=True,
        artifact_name="converted",
    )
    fake.fail("POST", r"/DeleteArtifact$", 403, body={"code": "permission_denied", "msg": "no"})

    again = publish_to_fake(
        fake,
        tmp_path / "b",
        sample_report(),
        runtime=True,
        upload_artifact=True,
        artifact_name="converted",
        overwrite=True,
    )

    assert "could not delete the earlier artifact 'converted'" in again.log
    [error] = [line for line in again.log.splitlines() if line.startswith("::error")]
    assert "'converted' already exists" in error
