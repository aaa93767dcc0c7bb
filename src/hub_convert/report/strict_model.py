"""The base of every report.json model: an unknown field is an error, not ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A report section: ``report.json`` may come from untrusted code, so fields it does not
    declare are refused when it is loaded."""

    model_config = ConfigDict(extra="forbid", frozen=False)
