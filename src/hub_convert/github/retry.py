"""Retries with backoff for GitHub's REST API, the Actions results service and the blob store.

Retried: 5xx, 429, rate-limit 403s (waiting for ``Retry-After`` / ``x-ratelimit-reset`` when
the server names a time), and connection errors. Everything else fails at once: repeating a
403 "Resource not accessible by integration" or a 422 cannot succeed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from github import GithubException

from ..errors import PublishError
from .redaction import redact_urls

T = TypeVar("T")

_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# GitHub asks clients to wait at least a minute after a secondary rate limit without Retry-After.
_SECONDARY_RATE_LIMIT_WAIT = 60.0


class HttpStatusError(Exception):
    """A non-2xx answer from a service reached with plain HTTP (results service, blob store)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}


class RequestFailed(PublishError):
    """A request failed for good (not retryable, or out of attempts)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        attempts: int = 1,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.attempts = attempts
        self.rate_limited = rate_limited


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. Tests pass ``sleep`` to record delays instead of waiting."""

    attempts: int = 4
    """Total tries per request, the first included."""
    base_delay: float = 2.0
    max_delay: float = 30.0
    max_wait: float = 300.0
    """Longest server-requested wait (Retry-After, rate-limit reset) worth waiting for."""
    jitter: float = 0.25
    write_interval: float = 1.0
    """Pause PyGithub keeps between write requests (GitHub's advice against secondary limits)."""
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.time, compare=False)

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based): exponential, capped, jittered."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return delay * (1.0 + random.uniform(0.0, self.jitter)) if self.jitter else delay


@dataclass(frozen=True)
class _Retry:
    wait: float | None  # None: use the policy's backoff
    reason: str


def error_status(exc: BaseException) -> int | None:
    """The HTTP status behind an exception, if it has one."""
    if isinstance(exc, GithubException | HttpStatusError):
        return int(exc.status)
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return int(exc.response.status_code)
    return None


def _headers(exc: BaseException) -> dict[str, str]:
    if isinstance(exc, GithubException):
        return {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
    if isinstance(exc, HttpStatusError):
        return exc.headers
    return {}


def _message(exc: BaseException) -> str:
    if isinstance(exc, GithubException):
        data: Any = exc.data
        text = data.get("message") if isinstance(data, dict) else None
        return str(text or exc.message or "")
    if isinstance(exc, HttpStatusError):
        return exc.message
    return str(exc)


def _server_wait(headers: Mapping[str, str], now: float) -> float | None:
    retry_after = headers.get("retry-after")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
            except (TypeError, ValueError):
                return None
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
        try:
            return max(0.0, float(headers["x-ratelimit-reset"]) - now)
        except ValueError:
            return None
    return None


def _classify(exc: BaseException, now: float) -> _Retry | None:
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return _Retry(None, "connection error")
    status = error_status(exc)
    if status is None:
        return None
    headers = _headers(exc)
    wait = _server_wait(headers, now)
    if status in _RETRYABLE_STATUS:
        return _Retry(wait, f"HTTP {status}")
    if status == 403:
        message = _message(exc).lower()
        if "secondary rate limit" in message:
            return _Retry(wait if wait is not None else _SECONDARY_RATE_LIMIT_WAIT, "rate limited")
        if "rate limit" in message or wait is not None:
            return _Retry(wait, "rate limited")
    return None


def describe_error(exc: BaseException) -> str:
    """One line saying what went wrong, without credentials."""
    status = error_status(exc)
    message = _message(exc).strip().splitlines()
    first = message[0] if message else type(exc).__name__
    if isinstance(exc, GithubException):
        data: Any = exc.data
        errors = data.get("errors") if isinstance(data, dict) else None
        if isinstance(errors, list) and errors:
            codes = ", ".join(
                str(e.get("message") or e.get("code")) if isinstance(e, dict) else str(e)
                for e in errors[:3]
            )
            first = f"{first} ({codes})"
    text = f"HTTP {status}: {first}" if status is not None else f"{type(exc).__name__}: {first}"
    return redact_urls(text)[:500]


def call_with_retry(operation: Callable[[], T], *, policy: RetryPolicy, what: str) -> T:
    """Run ``operation``, retrying transient failures; raise RequestFailed naming ``what``.

    ``operation`` must be safe to repeat: callers make writes idempotent (look up, then write).
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return operation()
        except (GithubException, HttpStatusError, requests.RequestException) as exc:
            decision = _classify(exc, policy.clock())
            status = error_status(exc)
            if decision is None:
                raise RequestFailed(
                    f"{what} failed: {describe_error(exc)}", status=status, attempts=attempt
                ) from exc
            limited = decision.reason == "rate limited"
            if attempt >= policy.attempts:
                raise RequestFailed(
                    f"{what} failed after {attempt} attempts: {describe_error(exc)}",
                    status=status,
                    attempts=attempt,
                    rate_limited=limited,
                ) from exc
            if decision.wait is not None and decision.wait > policy.max_wait:
                raise RequestFailed(
                    f"{what} failed: {decision.reason}; the server asks to wait "
                    f"{decision.wait:.0f} s, more than the {policy.max_wait:.0f} s allowed",
                    status=status,
                    attempts=attempt,
                    rate_limited=limited,
                ) from exc
            delay = decision.wait if decision.wait is not None else policy.backoff(attempt)
            policy.sleep(delay)
