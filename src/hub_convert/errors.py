"""Errors a user can hit. Each names the input and what to do; the CLI prints one line."""

from __future__ import annotations

from .log_text import inert_line


class HubConvertError(Exception):
    """Base class for errors reported to the user without a traceback."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[type[HubConvertError], tuple[str]]:
        # Raised inside worker processes; keep them picklable with their message.
        return (type(self), (self.message,))

    def __str__(self) -> str:
        return self.message


class BadInputError(HubConvertError):
    """The model, an option or an input file is wrong (exit code 2)."""

    exit_code = 2


class PublishError(HubConvertError):
    """Publishing the report (comment, artifact, release) failed after retries."""

    exit_code = 1


def error_line(exc: HubConvertError) -> str:
    """The one line the command prints for an error a user can act on."""
    return "hub-convert: error: " + inert_line(str(exc))
