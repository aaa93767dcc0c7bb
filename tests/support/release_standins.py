"""Stand-ins for `docker` and `gh` that release.yml's shell steps run against, and a step runner.

The stand-ins log every call (with whether GH_TOKEN was set and whether the docker client had
credentials) to calls.jsonl and keep a tiny registry in registry.json: which tags exist, from which
commit, and whether the package can be pulled logged out. The runner executes a step's `run:` with
bash as GitHub does (`bash -eo pipefail`), its `env:` resolved from the event and earlier steps'
outputs, and returns what the step wrote to $GITHUB_OUTPUT.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DOCKER = r"""
import json, os, sys
from pathlib import Path
state = Path(os.environ["STANDIN_STATE"])
registry = json.loads((state / "registry.json").read_text())
args = sys.argv[1:]
config = os.environ.get("DOCKER_CONFIG")
logged_in = (state / "logged_in").exists() and not (config and not os.listdir(config))
with (state / "calls.jsonl").open("a") as log:
    log.write(json.dumps({"tool": "docker", "args": args, "logged_in": logged_in}) + "\n")
def save():
    (state / "registry.json").write_text(json.dumps(registry))
if args[0] == "build":
    label = [a for a in args if a.startswith("org.opencontainers.image.revision=")][0]
    registry["local"] = {args[-2]: label.split("=", 1)[1]}
    save()
elif args[0] == "run":
    if "--version" in args:
        print("hub-convert " + registry["image_version"])
    elif "hub_convert.report.json_schema" in args:
        print(registry.get("schema", "{}"))
    elif "-c" in args and "--output-dir" in args[-1]:
        work = [a.split(":")[0] for a in args if a.endswith(":/work")][0]
        Path(work, "out").mkdir()
        Path(work, "out", "report.json").write_text("{}")
elif args[:3] == ["buildx", "imagetools", "inspect"]:
    sys.exit(0 if logged_in and args[3] in registry["remote"] else 1)
elif args[0] == "pull":
    name = args[-1]
    if not (logged_in or registry["public"]):
        print("denied", file=sys.stderr)
        sys.exit(1)
    if "@" in name:
        found = [t for t, v in registry["remote"].items() if v["digest"] == name.split("@")[1]]
        sys.exit(0 if found else 1)
    registry["local"] = {name: registry["remote"][name]["revision"]}
    save()
elif args[0] == "inspect":
    name = args[-1]
    if "RepoDigests" in args[2]:
        print(name.rsplit(":", 1)[0] + "@" + registry["remote"][name]["digest"])
    else:
        print(registry["local"][name])
elif args[0] == "push":
    name = args[-1]
    if not logged_in:
        sys.exit(1)
    revision = registry["local"].get(name) or registry.get("tagged", {})[name]
    registry["remote"][name] = {"revision": revision, "digest": "sha256:" + revision[:12]}
    save()
elif args[0] == "tag":
    digest = args[1].split("@")[1]
    revision = [v["revision"] for v in registry["remote"].values() if v["digest"] == digest][0]
    registry.setdefault("tagged", {})[args[2]] = revision
    save()
elif args[:2] == ["image", "inspect"]:
    print("sha256:" + registry["local"][args[-1]][:12])
elif args[:2] == ["image", "rm"]:
    registry["local"] = {}
    save()
"""

GH = r"""
import json, os, sys
from pathlib import Path
state = Path(os.environ["STANDIN_STATE"])
args = sys.argv[1:]
with (state / "calls.jsonl").open("a") as log:
    call = {"tool": "gh", "args": args, "token": bool(os.environ.get("GH_TOKEN"))}
    log.write(json.dumps(call) + "\n")
if not os.environ.get("GH_TOKEN"):
    print("gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN", file=sys.stderr)
    sys.exit(4)
if "--jq" in args:
    print("\n".join(json.loads((state / "releases.json").read_text())))
elif args[0] == "api" and "/git/ref/tags/" in args[-1]:
    sys.exit(1)
"""


def install_standins(folder: Path) -> Path:
    """Write the `docker` and `gh` stand-ins into folder/bin and return that directory."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True)
    for name, body in (("docker", DOCKER), ("gh", GH)):
        path = bin_dir / name
        path.write_text(f"#!{sys.executable}\n{body}")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return bin_dir


@dataclass
class ReleaseRun:
    """One run of release.yml's job against the stand-ins: the event, the checkout, the state."""

    repo: Path
    state: Path
    bin_dir: Path
    tag: str
    event_sha: str
    prerelease: bool = False
    repository: str = "Octo/Hub-Convert-Action"
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def resolve(self, value: str) -> str:
        """A step's env value with its ${{ }} expressions replaced."""

        def one(match: re.Match[str]) -> str:
            expression = match[1].strip()
            known = {
                "github.token": "the-token",
                "github.event.release.tag_name": self.tag,
                "github.event.release.prerelease": "true" if self.prerelease else "false",
            }
            if expression in known:
                return known[expression]
            step, _, name = expression.removeprefix("steps.").partition(".outputs.")
            return self.outputs.get(step, {}).get(name, "")

        return re.sub(r"\$\{\{(.*?)\}\}", one, value)

    def should_run(self, step: dict[str, Any]) -> bool:
        """The only step condition release.yml uses: steps.names.outputs.newest == 'true'."""
        condition = step.get("if")
        if condition is None:
            return True
        assert condition == "steps.names.outputs.newest == 'true'", condition
        return self.outputs.get("names", {}).get("newest") == "true"

    def run_step(
        self, step: dict[str, Any], job_env: dict[str, str]
    ) -> subprocess.CompletedProcess[str]:
        """Run one `run:` step with bash as the runner does; record its outputs under its id."""
        output_file = self.state / "github_output"
        output_file.write_text("")
        env = {
            "PATH": f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.state),
            "STANDIN_STATE": str(self.state),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(self.state / "summary"),
            "GITHUB_SHA": self.event_sha,
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_SERVER_URL": "https://github.com",
            "TMPDIR": str(self.state),
        }
        env.update({k: self.resolve(str(v)) for k, v in job_env.items()})
        env.update({k: self.resolve(str(v)) for k, v in step.get("env", {}).items()})
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=self.repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if "id" in step:
            lines = output_file.read_text().splitlines()
            self.outputs[step["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)
        return done

    def calls(self) -> list[dict[str, Any]]:
        """Every stand-in call so far, in order."""
        path = self.state / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]
