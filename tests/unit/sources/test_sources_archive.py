"""Archives: the model inside is found; crafted archives are refused before anything escapes."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest

from hub_convert.errors import BadInputError
from hub_convert.sources import archive, resolve
from support.cli import run_cli
from support.source_fixtures import (
    crafted_tar,
    crafted_zip,
    error_line,
    fake_saved_model_dir,
    tar_gz_of,
    tar_member,
    zip_of,
)


@pytest.mark.parametrize("pack", [tar_gz_of, zip_of])
@pytest.mark.parametrize("folder", [None, "mobilenet"])
def test_saved_model_at_the_root_or_in_one_folder(
    tmp_path: Path, pack: object, folder: str | None
) -> None:
    model = fake_saved_model_dir(tmp_path / "model")
    suffix = ".zip" if pack is zip_of else ".tar.gz"
    path = pack(model, tmp_path / f"mobilenet_v2{suffix}", folder)  # type: ignore[operator]
    source = resolve(str(path), work_dir=tmp_path / "work")
    assert source.kind == "archive"
    assert source.stem == "mobilenet_v2"
    assert source.saved_model_dir.is_relative_to(tmp_path / "work")
    assert (source.saved_model_dir / "variables" / "variables.index").is_file()
    assert source.provenance["archive"] == path.name
    assert source.provenance["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert source.provenance["archive_contents"] == "saved_model"
    assert source.provenance.get("archive_folder") == folder
    assert source.materializer is None


def test_tf1_hub_module_in_an_archive_keeps_its_defaults(tmp_path: Path) -> None:
    model = fake_saved_model_dir(tmp_path / "model", tf1_hub=True)
    source = resolve(str(tar_gz_of(model, tmp_path / "nnlm.tgz")), work_dir=tmp_path / "work")
    assert (source.kind, source.provenance["archive_contents"]) == ("archive", "tf1_hub")
    assert (source.default_tags, source.default_signature) == ((), "default")


def test_macos_junk_beside_the_folder_is_ignored(tmp_path: Path) -> None:
    model = fake_saved_model_dir(tmp_path / "content" / "model")
    (tmp_path / "content" / "__MACOSX").mkdir()
    (tmp_path / "content" / "__MACOSX" / "._model").write_bytes(b"x")
    path = zip_of(tmp_path / "content", tmp_path / "model.zip")
    source = resolve(str(path), work_dir=tmp_path / "work")
    assert source.saved_model_dir.name == model.name


@pytest.mark.parametrize(
    "layout",
    [
        {"README.md": b"no model"},
        {"a/b/saved_model.pb": b""},  # two levels down
        {"one/saved_model.pb": b"", "two/saved_model.pb": b""},
    ],
)
def test_archive_without_a_model_at_the_top(tmp_path: Path, layout: dict[str, bytes]) -> None:
    content = tmp_path / "content"
    for name, data in layout.items():
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        (content / name).write_bytes(data)
    path = tar_gz_of(content, tmp_path / "things.tar.gz")
    with pytest.raises(BadInputError, match=r"holds no saved_model\.pb or model\.json") as caught:
        resolve(str(path), work_dir=tmp_path / "work")
    assert str(caught.value).startswith(str(path))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cut.tar.gz", "truncated"),
        ("noise.tgz", b"\x1f\x8b\x08\x00" + b"\xff" * 64),
        ("noise.zip", b"PK\x05\x06" + b"\x00" * 10),
    ],
)
def test_corrupt_archive_names_the_file(tmp_path: Path, name: str, data: bytes | str) -> None:
    path = tmp_path / name
    if data == "truncated":
        model = fake_saved_model_dir(tmp_path / "model")
        (model / "variables" / "variables.data-00000-of-00001").write_bytes(bytes(range(256)) * 64)
        whole = tar_gz_of(model, tmp_path / "whole.tar.gz").read_bytes()
        path.write_bytes(whole[: len(whole) // 2])
    else:
        assert isinstance(data, bytes)
        path.write_bytes(data)
    with pytest.raises(BadInputError, match="not a readable") as caught:
        resolve(str(path), work_dir=tmp_path / "work")
    assert str(caught.value).startswith(str(path))
    assert not (tmp_path / "work" / "archive").exists(), "nothing half-extracted is left"


TAR_ATTACKS = [
    (tar_member("../escaped.txt"), "outside the extraction directory"),
    (tar_member("/tmp/absolute.txt"), "absolute path"),
    (tar_member("link", tarfile.SYMTYPE, "../../outside"), "points outside the archive"),
    (tar_member("abs_link", tarfile.SYMTYPE, "/etc/passwd"), "points outside the archive"),
    (tar_member("hard", tarfile.LNKTYPE, "../outside"), "outside"),
    (tar_member("console", tarfile.CHRTYPE), "device file or fifo"),
    (tar_member("pipe", tarfile.FIFOTYPE), "device file or fifo"),
]


@pytest.mark.parametrize(("member", "needle"), TAR_ATTACKS, ids=lambda v: getattr(v, "name", ""))
def test_crafted_tar_is_refused(tmp_path: Path, member: tarfile.TarInfo, needle: str) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    path = crafted_tar(downloads / "evil.tar.gz", member)
    work = tmp_path / "deep" / "work"
    with pytest.raises(BadInputError, match="refused to extract") as caught:
        resolve(str(path), work_dir=work)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert needle in message
    assert member.name.lstrip("/") in message or member.name in message
    assert not (work / "archive").exists()
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert written == ["deep", "deep/work", "downloads", "downloads/evil.tar.gz"]


@pytest.mark.parametrize(
    ("name", "symlink_to", "needle"),
    [
        ("../escaped.txt", None, "outside the extraction directory"),
        ("/abs.txt", None, "absolute path"),
        ("C:/windows.txt", None, "absolute path"),
        ("link", "../../outside", "is a symbolic link"),
    ],
)
def test_crafted_zip_is_refused_before_writing(
    tmp_path: Path, name: str, symlink_to: str | None, needle: str
) -> None:
    path = crafted_zip(tmp_path / "evil.zip", name, symlink_to=symlink_to)
    work = tmp_path / "work"
    with pytest.raises(BadInputError, match="refused to extract") as caught:
        resolve(str(path), work_dir=work)
    assert str(caught.value).startswith(f"{path}: ")
    assert needle in str(caught.value)
    assert not (work / "archive").exists()
    assert not (tmp_path / "escaped.txt").exists()


@pytest.mark.parametrize("pack", [tar_gz_of, zip_of])
def test_caps_on_file_count_and_size(tmp_path: Path, pack: object) -> None:
    model = fake_saved_model_dir(tmp_path / "model")
    for i in range(5):
        (model / f"extra{i}.bin").write_bytes(b"\x00" * 1000)
    path = pack(model, tmp_path / "big.archive")  # type: ignore[operator]
    with pytest.raises(BadInputError, match="more than 4 entries"):
        archive.extract_archive(path, tmp_path / "a", max_files=4)
    with pytest.raises(BadInputError, match="more than 2500 bytes uncompressed"):
        archive.extract_archive(path, tmp_path / "b", max_bytes=2500)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    archive.extract_archive(path, tmp_path / "c")  # the defaults let a real model through
    assert (tmp_path / "c" / "extra4.bin").stat().st_size == 1000


def test_caps_are_module_constants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = fake_saved_model_dir(tmp_path / "model")
    path = tar_gz_of(model, tmp_path / "model.tar.gz")
    monkeypatch.setattr(archive, "MAX_FILES", 2)
    with pytest.raises(BadInputError, match="more than 2 entries"):
        resolve(str(path), work_dir=tmp_path / "work")


def test_cli_refuses_a_path_traversal_archive(tmp_path: Path) -> None:
    path = crafted_tar(tmp_path / "evil.tgz", tar_member("../../escaped.txt"))
    run = run_cli("convert", path, "--output-dir", tmp_path / "out")
    assert run.exit_code == 2
    line = error_line(run.stderr)
    assert str(path) in line and "../../escaped.txt" in line
    assert not (tmp_path / "out").exists()
