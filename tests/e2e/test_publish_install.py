"""`pip install hub-convert` for publishing: no TensorFlow, on every supported Python.

The privileged half of the fork workflow (docs/forks.md) installs the
package into a fresh virtual environment and runs `hub-convert publish`. This builds the wheel,
installs it the way that workflow does (dependencies resolved by pip from the package index,
constrained to the versions pinned in requirements.txt), and publishes a report.json to the
stand-in GitHub on 127.0.0.1 with the installed console script.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub_convert.report.render import render_report
from support.github_fakes import FakeGitHub, read_outputs, runner_env, write_report_dir
from support.report_factory import sample_report

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parents[2]
PYTHONS = ("3.11", "3.12", "3.13")
# What `hub-convert publish` needs, with their own dependencies (normalised names).
PUBLISH_DISTRIBUTIONS = {
    "annotated-types",
    "certifi",
    "cffi",
    "charset-normalizer",
    "cryptography",
    "hub-convert",
    "idna",
    "jinja2",
    "markupsafe",
    "pycparser",
    "pydantic",
    "pydantic-core",
    "pygithub",
    "pyjwt",
    "pynacl",
    "pyyaml",
    "requests",
    "typing-extensions",
    "typing-inspection",
    "urllib3",
}
# Build and install tools a fresh virtual environment may carry.
TOOLING = {"pip", "setuptools", "wheel"}


def normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def find_python(version: str) -> str | None:
    """An interpreter for ``version``: on PATH, or one pyenv installed (not on PATH here)."""
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(
        str(p) for p in pyenv_root.glob(f"versions/{version}.*/bin/python{version}")
    )
    for candidate in candidates:
        if not candidate:
            continue
        try:
            done = subprocess.run(
                [candidate, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        # A pyenv shim for a version that is installed but not selected exits non-zero.
        if done.returncode == 0 and done.stdout.strip() == version:
            return candidate
    return None


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hub-convert wheel, built from a copy of the sources (nothing written in the tree)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for tree in ("src", "templates"):
        shutil.copytree(
            ROOT / tree, source / tree, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"),
            *("--no-build-isolation", "--wheel-dir", str(dist), str(source)),
        ],
        check=True,
        timeout=300,
    )
    (built,) = dist.glob("hub_convert-*.whl")
    return built


def pip_for(venv: Path) -> list[str]:
    """This environment's pip acting on ``venv`` (``--python``: pip runs itself with the venv's
    interpreter, so it resolves for that Python): the venv needs no pip of its own, and
    ensurepip's copy cost each Python about as much CPU as the install itself."""
    return [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]


def installed(venv: Path) -> dict[str, str]:
    """Distributions in ``venv``: normalised name -> version."""
    done = subprocess.run(
        [*pip_for(venv), "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return {normalise(d["name"]): d["version"] for d in json.loads(done.stdout)}


def pinned() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[normalise(name)] = version.strip()
    return pins


@pytest.mark.parametrize("version", PYTHONS)
def test_publish_installs_without_tensorflow_and_posts_a_report(
    version: str, wheel: Path, tmp_path: Path, fake: FakeGitHub
) -> None:
    python = find_python(version)
    if python is None:
        pytest.skip(f"no Python {version} interpreter on this machine")
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    # As docs/forks.md's fork workflow does: the package, its declared dependencies resolved by
    # pip, held to the pinned versions by requirements.txt used as a constraints file.
    install = subprocess.run(
        [
            *pip_for(venv),
            *("install", "--quiet"),
            *("--constraint", str(ROOT / "requirements.txt"), str(wheel)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-4000:]

    have = installed(venv)
    assert set(have) - TOOLING <= PUBLISH_DISTRIBUTIONS, "more than publish needs"
    assert not {"tensorflow", "tensorflow-cpu", "numpy", "onnx"} & set(have)
    # Every dependency is pinned, so this install is the one the image was tested with.
    pins = pinned()
    for name in set(have) - TOOLING - {"hub-convert"}:
        assert have[name] == pins.get(name), f"{name} {have[name]} is not the pinned version"

    script = venv / "bin" / "hub-convert"
    help_run = subprocess.run(
        [str(script), "publish", "--help"], capture_output=True, text=True, timeout=120
    )
    assert help_run.returncode == 0, help_run.stderr
    assert "--pr-number" in help_run.stdout
    # convert in this install: one line naming the extra, exit 2, no traceback.
    convert_run = subprocess.run(
        [str(script), "convert", str(tmp_path), "-o", str(tmp_path / "never")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert convert_run.returncode == 2, convert_run.stderr
    (line,) = convert_run.stderr.splitlines()
    assert line.startswith("hub-convert: error: ") and 'pip install "hub-convert[convert]"' in line

    # The privileged workflow_run job: the fork's report.json and pr-number were downloaded
    # into the workspace; the comment goes to that PR, the files become a workflow artifact.
    report = sample_report()
    write_report_dir(tmp_path, report)
    head = "5" * 40
    run = {"id": 17, "event": "pull_request", "pull_requests": [], "head_sha": head}
    env = runner_env(
        fake, tmp_path, event_name="workflow_run", payload={"workflow_run": run}, runtime=True
    )
    fake.pull_heads[31] = head
    publish = subprocess.run(
        [
            *(str(script), "publish", "out/report.json", "--comment", "always"),
            *("--pr-number", "31", "--upload-artifact"),
        ],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert publish.returncode == 0, publish.stdout + publish.stderr
    (comment,) = fake.comments[31]
    assert comment.body.startswith("<!-- hub-convert:models/tiny -->")
    assert report.verdict.line in comment.body
    outputs = read_outputs(tmp_path / "github_output")
    assert outputs["passed"] == "true"
    assert outputs["comment-url"].endswith(f"#issuecomment-{comment.id}")
    (artifact,) = fake.artifacts.values()
    assert "report.json" in artifact.zip_names()
    assert report.verdict.line in (tmp_path / "step_summary.md").read_text()
    assert fake.token not in publish.stdout.replace(f"::add-mask::{fake.token}", "")

    # The installed package renders report.md from its own copy of the templates, as the
    # source tree does.
    rendered = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sys, pathlib; from hub_convert.report.render import render_report; "
            "from hub_convert.report.schema import Report; "
            "sys.stdout.write(render_report(Report.load(pathlib.Path(sys.argv[1]))))",
            "out/report.json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout == render_report(report)
