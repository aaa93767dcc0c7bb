"""release.yml's shell steps, run with bash against stand-ins for `docker` and `gh`.

What a release must never do: push anything before the built image passed its smoke test; move
a moving tag (image :vX, git vX) to an image that a logged-out user cannot pull or whose
provenance was not verified; build from a commit other than the tag's; publish a version that
__version__, action.yml and CHANGELOG.md do not all name. `uses:` steps are stood in for (the
checkout is the test's repository; login-action marks the docker stand-in logged in).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub_convert import __version__
from support.release_standins import ReleaseRun, install_standins

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
JOB = WORKFLOW["jobs"]["image"]
IMAGE = "ghcr.io/octo/hub-convert-action"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def release_commit(repo: Path, version: str, *, code_version: str | None = None) -> str:
    """A repository whose last commit is a release commit for version; returns its sha."""
    (repo / "src/hub_convert").mkdir(parents=True, exist_ok=True)
    (repo / "src/hub_convert/__init__.py").write_text(
        f'"""x."""\n\n__version__ = "{code_version or version}"\n'
    )
    (repo / "action.yml").write_text(
        f"runs:\n  using: docker\n  image: docker://{IMAGE}:v{version}\n"
    )
    (repo / "CHANGELOG.md").write_text(f"# Changelog\n\n## [{version}] - 2026-12-01\n\n- x\n")
    (repo / "report.schema.json").write_text("{}\n")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", version)
    return git(repo, "rev-parse", "HEAD")


def start(tmp_path: Path, version: str = "1.2.0", **kwargs: Any) -> ReleaseRun:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    sha = release_commit(repo, version, code_version=kwargs.pop("code_version", None))
    git(repo, "tag", f"v{version}")
    state = tmp_path / "state"
    state.mkdir()
    registry = {"remote": {}, "local": {}, "public": True, "image_version": version}
    registry.update(kwargs.pop("registry", {}))
    (state / "registry.json").write_text(json.dumps(registry))
    (state / "releases.json").write_text(json.dumps(kwargs.pop("releases", [f"v{version}"])))
    return ReleaseRun(
        repo=repo,
        state=state,
        bin_dir=install_standins(tmp_path),
        tag=kwargs.pop("tag", f"v{version}"),
        event_sha=kwargs.pop("event_sha", sha),
        **kwargs,
    )


def run_job(run: ReleaseRun) -> tuple[str | None, str]:
    """Run the job's steps in order; the name of the step that failed (None) and its stderr."""
    for step in JOB["steps"]:
        if not run.should_run(step):
            continue
        uses = step.get("uses", "")
        if uses.startswith("docker/login-action@"):
            (run.state / "logged_in").touch()
        if "run" not in step:
            continue
        done = run.run_step(step, JOB["env"])
        if done.returncode != 0:
            return step["name"], done.stdout + done.stderr
    return None, ""


def docker_calls(run: ReleaseRun) -> list[list[str]]:
    return [call["args"] for call in run.calls() if call["tool"] == "docker"]


def first_index(calls: list[list[str]], verb: str) -> int:
    return next(i for i, args in enumerate(calls) if args[0] == verb)


def test_a_release_is_smoke_tested_before_any_push_and_moved_only_once_pullable(
    tmp_path: Path,
) -> None:
    run = start(tmp_path)
    failed, said = run_job(run)
    assert failed is None, said
    calls = docker_calls(run)
    # Built and run (imports, --version, the demo model converted) before the first push.
    assert first_index(calls, "build") < first_index(calls, "run") < first_index(calls, "push")
    pushes = [args[-1] for args in calls if args[0] == "push"]
    assert pushes == [f"{IMAGE}:v1.2.0", f"{IMAGE}:v1"]
    # The moving tag is pushed only after the version was pulled with no credentials.
    logged_out_pull = next(
        i
        for i, c in enumerate(run.calls())
        if c.get("args", [""])[0] == "pull" and not c["logged_in"]
    )
    major_push = max(i for i, c in enumerate(run.calls()) if c.get("args", [""])[0] == "push")
    assert logged_out_pull < major_push
    gh = [call for call in run.calls() if call["tool"] == "gh"]
    assert all(call["token"] for call in gh), "GH_TOKEN wherever gh runs"
    assert any(call["args"][:2] == ["attestation", "verify"] for call in gh)
    sha = git(run.repo, "rev-parse", "HEAD")
    assert ["api", "--method", "POST", "repos/Octo/Hub-Convert-Action/git/refs",
            "-f", "ref=refs/tags/v1", "-f", f"sha={sha}"] in [c["args"] for c in gh]  # fmt: skip
    assert any(call["args"][:3] == ["release", "upload", "v1.2.0"] for call in gh)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"code_version": "1.1.0"}, "__version__ is '1.1.0'"),
        ({"tag": "v1.2"}, "is not vMAJOR.MINOR.PATCH"),
        ({"event_sha": "0" * 40}, "the event names 0000"),
    ],
    ids=["version-not-the-tag", "tag-not-semver", "tag-moved-after-the-event"],
)
def test_a_release_that_does_not_name_one_commit_and_version_stops_before_building(
    tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    run = start(tmp_path, **kwargs)
    failed, said = run_job(run)
    assert failed == "Check the tag, its commit, and the version it names"
    assert message in said
    assert docker_calls(run) == []


def test_an_image_saying_another_version_is_never_pushed(tmp_path: Path) -> None:
    run = start(tmp_path, registry={"image_version": "1.1.9"})
    failed, said = run_job(run)
    assert failed == "Smoke-test the built image offline"
    assert "not 'hub-convert 1.2.0'" in said
    assert not [args for args in docker_calls(run) if args[0] == "push"]


def test_a_stale_report_schema_is_never_released(tmp_path: Path) -> None:
    run = start(tmp_path, registry={"schema": '{"title": "Report"}'})
    failed, said = run_job(run)
    assert failed == "Smoke-test the built image offline"
    assert "report.schema.json::stale at v1.2.0" in said
    assert not [args for args in docker_calls(run) if args[0] == "push"]


def test_a_private_package_stops_before_the_moving_tags_and_a_rerun_resumes(
    tmp_path: Path,
) -> None:
    run = start(tmp_path, registry={"public": False})
    failed, said = run_job(run)
    assert failed == "Pull it logged out, as a user does, and verify its provenance"
    assert "make it public once" in said
    assert [args[-1] for args in docker_calls(run) if args[0] == "push"] == [f"{IMAGE}:v1.2.0"]
    assert not any("git/refs" in " ".join(c["args"]) for c in run.calls() if c["tool"] == "gh")
    # The maintainer makes the package public and re-runs: the same commit's image is reused.
    registry = json.loads((run.state / "registry.json").read_text())
    registry["public"] = True
    (run.state / "registry.json").write_text(json.dumps(registry))
    (run.state / "calls.jsonl").unlink()
    failed, said = run_job(run)
    assert failed is None, said
    assert [args[-1] for args in docker_calls(run) if args[0] == "push"] == [f"{IMAGE}:v1"]


def test_a_version_published_from_another_commit_is_never_overwritten(tmp_path: Path) -> None:
    taken = {f"{IMAGE}:v1.2.0": {"revision": "f" * 40, "digest": "sha256:ffff"}}
    run = start(tmp_path, registry={"remote": taken})
    failed, said = run_job(run)
    assert failed == "Push the version tag (or resume with the one this commit already pushed)"
    assert "already published from ffff" in said
    assert not [args for args in docker_calls(run) if args[0] == "push"]


def test_a_prerelease_gets_its_image_but_not_the_moving_tags(tmp_path: Path) -> None:
    run = start(tmp_path, prerelease=True, releases=["v1.1.0"])
    failed, said = run_job(run)
    assert failed is None, said
    assert [args[-1] for args in docker_calls(run) if args[0] == "push"] == [f"{IMAGE}:v1.2.0"]
    assert not any("git/refs" in " ".join(c["args"]) for c in run.calls() if c["tool"] == "gh")


def test_an_older_release_of_the_major_leaves_the_moving_tags(tmp_path: Path) -> None:
    run = start(tmp_path, releases=["v1.2.0", "v1.10.0", "v2.0.0"])
    failed, said = run_job(run)
    assert failed is None, said
    assert [args[-1] for args in docker_calls(run) if args[0] == "push"] == [f"{IMAGE}:v1.2.0"]


def job_runs(action: str, prerelease: bool) -> bool:
    """The job's `if:` evaluated for one event (its only two terms)."""
    expression = " ".join(JOB["if"].split())
    python = (
        expression.replace("github.event.action", repr(action))
        .replace("github.event.release.prerelease", repr(prerelease))
        .replace("||", " or ")
        .replace("&&", " and ")
    )
    assert re.fullmatch(r"[\w\s'()=]+", python), python
    return bool(eval(python))


def test_each_release_runs_the_job_once_and_a_promoted_prerelease_gets_its_moving_tags() -> None:
    assert WORKFLOW[True]["release"]["types"] == ["published", "released"]
    # A release published as such: GitHub sends `published` and `released`.
    assert [job_runs("published", False), job_runs("released", False)] == [False, True]
    # A prerelease: `published` only; promoted later: `released`.
    assert job_runs("published", True)
    assert job_runs("released", False)


def test_the_version_is_one_in_the_code_the_action_and_the_changelog() -> None:
    image = yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["image"]
    assert image.endswith(f":v{__version__}"), (image, __version__)
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{__version__}] - " in changelog or "## [Unreleased]" in changelog
