"""The wheel's package list: pyproject.toml lists the packages (the templates are installed as
hub_convert.templates from the top-level templates/, which no search of src/ finds), so a
package added under src/ must be listed there too, or the wheel would ship without it."""

from __future__ import annotations

import tomllib
from typing import Any

from support.paths import ROOT


def _setuptools() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        config: dict[str, Any] = tomllib.load(handle)["tool"]["setuptools"]
    return config


def test_every_package_under_src_is_listed_for_the_wheel() -> None:
    under_src = {
        ".".join(init.parent.relative_to(ROOT / "src").parts)
        for init in (ROOT / "src").rglob("__init__.py")
    }
    listed = set(_setuptools()["packages"])
    assert listed - {"hub_convert.templates"} == under_src, (
        "pyproject.toml [tool.setuptools] packages must list every package under src/"
    )


def test_the_templates_package_is_the_top_level_templates_directory() -> None:
    config = _setuptools()
    assert config["package-dir"] == {"": "src", "hub_convert.templates": "templates"}
    assert config["package-data"]["hub_convert.templates"] == ["*.j2"]
    assert {p.name for p in (ROOT / "templates").glob("*.j2")} == {
        "report.md.j2",
        "comparison.md.j2",
    }
