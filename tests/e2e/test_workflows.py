"""The repository's workflows and the example workflows of the README and docs/: what users copy.

Every workflow denies the token everything at the top (`permissions: {}`) and grants each job
what it needs; third-party actions are pinned by full commit SHA; `actions/checkout` stores no
credentials. The README's examples are also validated against GitHub's workflow schema and
audited by zizmor, as `make lint` does for .github/workflows.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
# The action itself is shown by its major tag in the README ("Pinning" explains SHA/digest).
OWN_ACTION = "org/hub-convert-action@"
IMAGE_LINE = re.compile(r"^  image: docker://ghcr\.io/org/hub-convert-action:v\d+\.\d+\.\d+$", re.M)


def readme_workflows() -> dict[str, str]:
    """The ```yaml blocks of the README and docs/ that are whole workflows, by the file name
    they suggest."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    text = "\n".join(page.read_text() for page in pages)
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    found: dict[str, str] = {}
    for index, text in enumerate(blocks):
        loaded = yaml.safe_load(text)
        # PyYAML reads the key `on` as True (YAML 1.1).
        if isinstance(loaded, dict) and "jobs" in loaded and True in loaded:
            named = re.search(r"\.github/workflows/([\w-]+\.yml)", text)
            found[named[1] if named else f"readme-{index}.yml"] = text
    return found


def repository_workflows() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((ROOT / ".github/workflows").glob("*.yml"))}


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


@pytest.mark.parametrize(
    ("name", "text"),
    [*repository_workflows().items(), *readme_workflows().items()],
)
def test_workflow_hygiene(name: str, text: str) -> None:
    workflow = yaml.safe_load(text)
    assert workflow.get("permissions") == {}, f"{name}: top-level `permissions: {{}}`"
    for job_name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{name}: job {job_name} states its permissions"
    for step in steps(workflow):
        uses = step.get("uses", "")
        if not uses or uses.startswith(("./", "docker://")):
            continue
        assert SHA_PIN.match(uses) or uses.startswith(OWN_ACTION), f"{name}: pin {uses} by SHA"
        if uses.startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, name
    # A pinned SHA carries the version it stands for, for people and for Dependabot.
    for line in text.splitlines():
        if re.search(r"uses: \S+@[0-9a-f]{40}", line):
            assert re.search(r"@[0-9a-f]{40} # v\d", line), f"{name}: version comment: {line}"


def test_readme_has_the_workflows_it_documents() -> None:
    assert {"convert.yml", "convert-comment.yml"} <= set(readme_workflows())


def test_readme_workflows_pass_the_schema_and_zizmor(tmp_path: Path) -> None:
    tools = Path(sys.executable).parent
    if not (tools / "zizmor").exists() or not (tools / "check-jsonschema").exists():
        pytest.skip("zizmor / check-jsonschema not installed (requirements-dev.txt)")
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    for name, text in readme_workflows().items():
        (folder / name).write_text(text)
    files = sorted(str(p) for p in folder.iterdir())
    schema = subprocess.run(
        [str(tools / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = subprocess.run(
        [str(tools / "zizmor"), "--offline", "--config", str(ROOT / ".github/zizmor.yml"), *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_action_runs_the_released_image_the_workflows_expect() -> None:
    text = (ROOT / "action.yml").read_text()
    runs = yaml.safe_load(text)["runs"]
    assert runs["using"] == "docker"
    # self-test.yml replaces this line and release.yml checks it against the release tag,
    # both by this exact form (two-space indent, docker://ghcr.io/OWNER/NAME:vX.Y.Z).
    assert IMAGE_LINE.search(text), runs["image"]
    self_test = (ROOT / ".github/workflows/self-test.yml").read_text()
    assert "s|^  image: docker://.*|  image: Dockerfile|" in self_test
