"""The model as it was at a pull request's base commit, read from git in the workspace.

The repository's contents are untrusted (a pull request wrote them), and the workspace belongs
to another user: git runs with ``safe.directory`` for the workspace only, no hooks, no system
or global config, no prompts, literal pathspecs. Nothing is written into the workspace's
``.git``: a private bare repository borrows its objects (``objects/info/alternates``), and a
base commit missing from a shallow checkout is fetched into that one. Files are read as blobs
(``ls-tree`` + ``cat-file --batch``): no checkout, no attributes or filters, no symbolic links,
each path checked to stay inside the target directory. No TensorFlow.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from ..github.context import GitHubContext
from ..report.plain_text import printable
from ..sources import archive
from ..sources.hub import is_handle
from .base_run import Base
from .model_files import model_root

GIT_TIMEOUT = 300
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
Log = Callable[[str], None]


class GitError(Exception):
    """A git command failed; the message is its first line of error output."""


@dataclass(frozen=True)
class _Entry:
    mode: str
    kind: str
    oid: str
    size: int
    path: str


def pull_request_base_commit(context: GitHubContext) -> tuple[str, str] | None:
    """(base sha, base branch) of a ``pull_request`` / ``pull_request_target`` event."""
    if context.event_name not in ("pull_request", "pull_request_target"):
        return None
    pull = context.event.get("pull_request")
    base = pull.get("base") if isinstance(pull, dict) else None
    sha = base.get("sha") if isinstance(base, dict) else None
    ref = base.get("ref") if isinstance(base, dict) else None
    if not isinstance(sha, str) or not _SHA.fullmatch(sha):
        return None
    return sha, ref if isinstance(ref, str) and ref.isprintable() else "base"


def base_sha_problem(context: GitHubContext) -> str | None:
    """What is wrong with a pull request event's ``base.sha``, when it is not a commit sha
    (shown printable and short: the event is the pull request's to shape); None otherwise."""
    if context.event_name not in ("pull_request", "pull_request_target"):
        return None
    pull = context.event.get("pull_request")
    base = pull.get("base") if isinstance(pull, dict) else None
    sha = base.get("sha") if isinstance(base, dict) else None
    if sha is None:
        return "the pull request event has no base.sha"
    if not isinstance(sha, str):
        return f"the pull request event's base.sha is not a commit sha (a {type(sha).__name__})"
    if _SHA.fullmatch(sha):
        return None
    return f"the pull request event's base.sha {printable(sha, 80)!r} is not a commit sha"


def pull_request_base(
    context: GitHubContext, workspace: Path, model: str, dest: Path, log: Log
) -> Base | None:
    """The model at the pull request's base commit, extracted under ``dest``; None when the
    event is not a pull request or the model is a handle URL (no base commit to read it from).
    A ``Base`` with ``reason`` when it cannot be had (a malformed base sha among them)."""
    if is_handle(model):
        return None
    problem = base_sha_problem(context)
    if problem is not None:
        return Base(None, "base", None, reason=problem)
    found = pull_request_base_commit(context)
    if found is None:
        return None
    sha, ref = found
    return model_at_commit(workspace, sha, model, dest, log, ref=ref)


def model_at_commit(
    workspace: Path, sha: str, model: str, dest: Path, log: Log, *, ref: str | None = None
) -> Base:
    """The files of ``model`` (a path in ``workspace``) as they are in commit ``sha``."""
    label = f"{ref or 'base'} {sha[:12]}"
    path = (workspace / model).absolute()
    try:
        git = _Git(workspace, dest / "repository.git")
        top = Path(git.run_in_workspace("rev-parse", "--show-toplevel").strip()).resolve()
        relative = path.resolve().relative_to(top)
        scope = model_root(path).resolve().relative_to(top).as_posix()
    except ValueError:
        return Base(None, label, sha, reason=f"{model} is not a path in the git repository")
    except GitError as exc:
        return Base(None, label, sha, reason=f"the workspace is not a git checkout: {exc}")
    label = f"{scope} at {label}"
    try:
        git.borrow_objects()
        if not git.has_commit(sha):
            log(f"fetching the base commit {sha} (not in the checkout)")
            git.fetch(sha)
        entries = git.tree_entries(sha, scope)
        if not entries:
            log(f"{scope} does not exist at the base commit {sha}: new in this pull request")
            return Base(None, label, sha)
        git.write_files(entries, dest / "files")
    except GitError as exc:
        return Base(None, label, sha, reason=f"could not read {scope} at {sha}: {exc}")
    return Base(str(dest / "files" / relative), label, sha)


class _Git:
    """git on the workspace (read only) and on a private repository borrowing its objects."""

    def __init__(self, workspace: Path, private: Path) -> None:
        self.workspace = workspace
        self.private = private
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(private.parent),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_LITERAL_PATHSPECS": "1",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "LC_ALL": "C",
        }

    def _prefix(self, where: Path) -> list[str]:
        return [
            "git",
            "-c", f"safe.directory={self.workspace.absolute()}",
            "-c", f"core.hooksPath={os.devnull}",
            "-c", "core.fsmonitor=false",
            "-c", "protocol.ext.allow=never",
            "-C", str(where),
        ]  # fmt: skip

    def _run(self, where: Path, *args: str, data: bytes | None = None) -> bytes:
        command = [*self._prefix(where), *args]
        try:
            done = subprocess.run(
                command,
                input=data,
                capture_output=True,
                env=self.env,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except FileNotFoundError:
            raise GitError("git is not installed") from None
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} took over {GIT_TIMEOUT} s") from None
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(lines[-1] if lines else f"git {args[0]} exited {done.returncode}")
        return done.stdout

    def run_in_workspace(self, *args: str) -> str:
        return self._run(self.workspace, *args).decode("utf-8", "surrogateescape")

    def borrow_objects(self) -> None:
        objects = self.run_in_workspace(
            "rev-parse", "--path-format=absolute", "--git-path", "objects"
        )
        self.private.parent.mkdir(parents=True, exist_ok=True)
        self._run(
            self.private.parent, "init", "--quiet", "--bare", "--template=", str(self.private)
        )
        info = self.private / "objects" / "info"
        info.mkdir(parents=True, exist_ok=True)
        (info / "alternates").write_text(objects.strip() + "\n")
        # A shallow checkout's boundary, so that a fetch does not take the borrowed commits'
        # missing ancestors as present.
        shallow = Path(
            self.run_in_workspace(
                "rev-parse", "--path-format=absolute", "--git-path", "shallow"
            ).strip()
        )
        if shallow.is_file():
            shutil.copyfile(shallow, self.private / "shallow")

    def has_commit(self, sha: str) -> bool:
        try:
            self._run(self.private, "cat-file", "-e", f"{sha}^{{commit}}")
        except GitError:
            return False
        return True

    def fetch(self, sha: str) -> None:
        """Fetch ``sha`` from the workspace's ``origin`` into the private repository."""
        try:
            origin = self.run_in_workspace("config", "--get", "remote.origin.url").strip()
        except GitError:
            raise GitError("the commit is not in the checkout and there is no origin") from None
        try:
            self._run(
                self.private,
                "fetch", "--quiet", "--depth=1", "--no-tags", "--no-recurse-submodules",
                origin, sha,
            )  # fmt: skip
        except GitError as exc:
            raise GitError(
                f"the commit is not in the checkout, and fetching it failed ({exc}); check out "
                "with fetch-depth: 2 (a pull request's merge commit and its base) or 0"
            ) from None

    def tree_entries(self, sha: str, scope: str) -> list[_Entry]:
        listing = self._run(
            self.private, "ls-tree", "-r", "-z", "-l", "--full-tree", sha, "--", scope
        )
        entries = []
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, kind, oid, size = meta.decode().split()
            path = name.decode("utf-8", "surrogateescape")
            if path != scope and not path.startswith(scope.rstrip("/") + "/"):
                continue
            entries.append(_Entry(mode, kind, oid, int(size) if size.isdigit() else 0, path))
        return entries

    def write_files(self, entries: list[_Entry], target: Path) -> None:
        """Each blob at its path under ``target``: regular files only, within the caps."""
        if len(entries) > archive.MAX_FILES:
            raise GitError(f"over {archive.MAX_FILES:,} files")
        if sum(e.size for e in entries) > archive.MAX_UNCOMPRESSED_BYTES:
            raise GitError(f"over {archive.MAX_UNCOMPRESSED_BYTES // 2**30} GiB")
        for entry in entries:
            parts = PurePosixPath(entry.path).parts
            if entry.kind != "blob" or entry.mode not in ("100644", "100755"):
                raise GitError(f"{entry.path} is not a regular file (mode {entry.mode})")
            if not parts or PurePosixPath(entry.path).is_absolute() or ".." in parts:
                raise GitError(f"{entry.path}: not a plain relative path")
        target.mkdir(parents=True, exist_ok=True)
        os.chmod(target.parent, 0o755)  # the workers' user reads the base model here
        os.chmod(target, 0o755)
        with self._batch() as (send, stream):
            for entry in entries:
                send.write(f"{entry.oid}\n".encode())
                send.flush()
                header = stream.readline().decode("ascii", "replace").split()
                if len(header) != 3 or header[0] != entry.oid or header[1] != "blob":
                    raise GitError(f"{entry.path}: cannot read its blob ({' '.join(header)})")
                destination = target.joinpath(*PurePosixPath(entry.path).parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with destination.open("wb") as out:
                    remaining = int(header[2])
                    while remaining:
                        chunk = stream.read(min(remaining, 1 << 20))
                        if not chunk:
                            raise GitError(f"{entry.path}: git stopped in the middle of the blob")
                        out.write(chunk)
                        remaining -= len(chunk)
                stream.read(1)  # the newline after each object
                os.chmod(destination, 0o644)

    @contextmanager
    def _batch(self) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
        """``git cat-file --batch`` on the private repository: (its stdin, its stdout)."""
        command = [*self._prefix(self.private), "cat-file", "--batch"]
        with subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self.env
        ) as process:
            assert process.stdin is not None and process.stdout is not None
            try:
                yield process.stdin, process.stdout
            finally:
                process.stdin.close()
                process.wait(timeout=GIT_TIMEOUT)
