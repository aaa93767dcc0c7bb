"""The one threaded HTTP server on 127.0.0.1 that plays every GitHub service: it records each
request, injects the faults a test asks for, then routes to the REST API or the results service.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from .records import BOT_LOGIN, GITHUB_TOKEN, TWIRP, Fault, Seen, json_response
from .rest import RestApi
from .results_service import ResultsService


class FakeGitHub(RestApi, ResultsService):
    """The fake services on ``server``; ``base_url`` is GITHUB_API_URL and ACTIONS_RESULTS_URL."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.base_url = server.url_for("/").rstrip("/")
        self.token = GITHUB_TOKEN
        self.login = BOT_LOGIN
        self.seen: list[Seen] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        # One id sequence for comments, releases, assets and artifacts, as on GitHub.
        self._ids = itertools.count(1000)
        self._start_rest()
        self._start_results_service()
        server.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` ``method`` requests matching regex ``path`` with ``status``."""
        self.faults.append(
            Fault(
                method,
                re.compile(path),
                status,
                times,
                body or {"message": "Server Error"},
                headers or {},
            )
        )

    def requests(self, method: str, path_regex: str) -> list[Seen]:
        pattern = re.compile(path_regex)
        return [s for s in self.seen if s.method == method and pattern.search(s.path)]

    def _handle(self, request: Request) -> Response:
        seen = Seen(
            request.method,
            request.path,
            parse_qs(request.query_string.decode()),
            dict(request.headers),
            request.get_data(),
        )
        with self._lock:
            self.seen.append(seen)
            for fault in self.faults:
                if (
                    fault.times > 0
                    and fault.method == request.method
                    and fault.path.search(request.path)
                ):
                    fault.times -= 1
                    return json_response(fault.body, fault.status, fault.headers)
        if request.path.startswith(TWIRP):
            return self.handle_twirp(request, seen)
        if request.path.startswith("/blob/"):
            return self.handle_blob(request, seen)
        if not self.authorized(request):
            return json_response({"message": "Bad credentials"}, 401)
        return self.handle_rest(request, seen)


@contextmanager
def fake_server() -> Iterator[HTTPServer]:
    """An HTTP server on an ephemeral 127.0.0.1 port (shared by a module: stopping one takes
    half a second), stopped afterwards."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def fresh_fake(server: HTTPServer) -> FakeGitHub:
    """A FakeGitHub with empty state on ``server`` (earlier handlers and logs dropped)."""
    server.clear()
    return FakeGitHub(server)
