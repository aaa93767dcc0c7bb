"""Signed URLs in the log: no query string in any annotation or log line, with or without a
scheme, and the artifact upload URL's signature masked as soon as it arrives (fake results
service and an unreachable blob store on 127.0.0.1)."""

from __future__ import annotations

import io
import socket
from pathlib import Path

from hub_convert.github.redaction import redact_urls, url_secrets
from hub_convert.github.workflow_commands import WorkflowCommands
from support.github_fakes import SAS_SIGNATURE, FakeGitHub, publish_to_fake
from support.report_factory import sample_report


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_failed_blob_upload_annotates_no_signature(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.blob_base_url = f"http://127.0.0.1:{_closed_port()}"  # the blob store is unreachable

    published = publish_to_fake(fake, tmp_path, sample_report(), runtime=True, upload_artifact=True)

    lines = published.log.splitlines()
    [error] = [line for line in lines if line.startswith("::error")]
    assert "blob upload" in error and "ConnectionError" in error
    assert SAS_SIGNATURE not in error and "sig=" not in error and "se=2026" not in error
    assert "?…" in error  # the URL is still named, without its query string
    # Masked on arrival: the signature (and the query holding it) only ever appear in masks,
    # right after the upload's group starts, before the attempts that failed.
    carrying = [i for i, line in enumerate(lines) if SAS_SIGNATURE in line]
    assert carrying and all(lines[i].startswith("::add-mask::") for i in carrying)
    assert f"::add-mask::{SAS_SIGNATURE}" in lines
    group = next(i for i, line in enumerate(lines) if line.startswith("::group::Upload"))
    assert carrying[0] == group + 1 and carrying[-1] < lines.index(error)
    assert len(fake.comments[7]) == 1  # publishing goes on


def test_query_strings_are_redacted_with_or_without_a_scheme() -> None:
    cases = {
        "PUT acct.blob.core.windows.net/c/x.zip?sv=1&sig=abc%2B&se=2026 failed": "abc%2B",
        "host:8080/path?token=t0ken&x=1": "t0ken",
        "Pool(host='h', port=1): Max retries exceeded with url: /a?sig=s1g (x)": "s1g",
        "see https://h.example/p?code=c0de.": "c0de",
        "u=https%3A%2F%2Fh%2Fp%3Fsig%3Dabc": "abc",
        "leftover &sig=zzz&comp=block": "zzz",
        "'https://h/p?sig=q1'": "q1",
    }
    for message, secret in cases.items():
        assert secret not in redact_urls(message), message
    assert (
        redact_urls("plain text? yes, a=b and https://h/p")
        == "plain text? yes, a=b and https://h/p"
    )


def test_annotations_and_log_lines_are_redacted_but_masks_are_not() -> None:
    log = io.StringIO()
    commands = WorkflowCommands(log)

    commands.error("upload failed: acct.blob.core.windows.net/c?sig=abc", title="x?token=t")
    commands.info("GET host:8080/path?token=t0ken")
    commands.add_mask("sv=1&sig=abc")

    assert log.getvalue().splitlines() == [
        "::error title=x?…::upload failed: acct.blob.core.windows.net/c?…",
        "GET host:8080/path?…",
        "::add-mask::sv=1&sig=abc",
    ]


def test_url_secrets_are_the_query_and_the_signature() -> None:
    url = "https://acct.blob.core.windows.net/c/x.zip?sv=2023&se=2026&sig=a%2Bb%3D"

    assert url_secrets(url) == ["sv=2023&se=2026&sig=a%2Bb%3D", "a%2Bb%3D", "a+b="]
    assert url_secrets("https://h/no-query") == []
