"""The fake GitHub's REST API: the viewer, issue comments and releases with their assets.

Comments page with Link headers and refuse bodies over the 65,536-character limit; read-only
tokens get 403; the upload host refuses a taken asset name with 422 already_exists.
"""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import urlencode

from werkzeug import Request, Response

from .records import REPOSITORY, Asset, Comment, Release, Seen, json_response


class RestApi:
    """REST routes and their state; mixed into FakeGitHub, which sets what is declared here."""

    base_url: str
    token: str
    login: str
    _ids: itertools.count[int]

    def _start_rest(self) -> None:
        # Installation tokens (GITHUB_TOKEN) get 403 on GET /user; PATs get their user.
        self.rest_user_allowed = False
        self.read_only = False
        self.comment_limit = 65_536
        self.comments: dict[int, list[Comment]] = {}
        # Pull requests by number: their head commit.
        self.pull_heads: dict[int, str] = {}
        self.releases: list[Release] = []
        self.competing_uploads: set[str] = set()

    # -- set-up and inspection helpers ------------------------------------------------------

    def add_comment(self, number: int, body: str, login: str | None = None) -> Comment:
        comment = Comment(next(self._ids), body, login or self.login)
        self.comments.setdefault(number, []).append(comment)
        return comment

    def add_release(self, tag: str) -> Release:
        release = Release(next(self._ids), tag)
        self.releases.append(release)
        return release

    def add_asset(self, release: Release, name: str, data: bytes, content_type: str) -> Asset:
        asset = Asset(next(self._ids), name, content_type, data)
        release.assets.append(asset)
        return asset

    def race_upload(self, name: str) -> None:
        """Another job uploads asset ``name`` just before our next upload of it."""
        self.competing_uploads.add(name)

    def release(self, tag: str) -> Release:
        return next(r for r in self.releases if r.tag == tag)

    def _comment_json(self, comment: Comment) -> dict[str, Any]:
        return {
            "id": comment.id,
            "url": f"{self.base_url}/repos/{REPOSITORY}/issues/comments/{comment.id}",
            "html_url": f"https://github.example/{REPOSITORY}/pull/1#issuecomment-{comment.id}",
            "body": comment.body,
            "user": {"login": comment.login, "id": 1, "type": "Bot"},
            "created_at": "2026-11-21T00:00:00Z",
            "updated_at": "2026-11-21T00:00:00Z",
        }

    def _release_json(self, release: Release) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{REPOSITORY}/releases/{release.id}"
        return {
            "id": release.id,
            "tag_name": release.tag,
            "name": release.tag,
            "url": url,
            "assets_url": f"{url}/assets",
            "upload_url": (
                f"{self.base_url}/uploads/repos/{REPOSITORY}/releases/{release.id}/assets"
                "{?name,label}"
            ),
            "html_url": f"https://github.example/{REPOSITORY}/releases/tag/{release.tag}",
            "draft": False,
            "prerelease": False,
            "assets": [self._asset_json(a) for a in release.assets],
        }

    def _asset_json(self, asset: Asset) -> dict[str, Any]:
        return {
            "id": asset.id,
            "name": asset.name,
            "label": "",
            "url": f"{self.base_url}/repos/{REPOSITORY}/releases/assets/{asset.id}",
            "browser_download_url": f"https://github.example/download/{asset.id}/{asset.name}",
            "content_type": asset.content_type,
            "size": len(asset.data),
            "state": "uploaded",
        }

    def authorized(self, request: Request) -> bool:
        """Whether ``request`` carries the fake's token (``token`` or ``Bearer``)."""
        return request.headers.get("Authorization", "") in (
            f"token {self.token}",
            f"Bearer {self.token}",
        )

    # -- routes ------------------------------------------------------------------------------

    def handle_rest(self, request: Request, seen: Seen) -> Response:
        """Answer an authorized REST or upload request as GitHub would."""
        method, path = request.method, request.path
        repo = f"/repos/{REPOSITORY}"
        forbidden = json_response(
            {"message": "Resource not accessible by integration", "status": "403"}, 403
        )
        if method == "GET" and path == "/user":
            if not self.rest_user_allowed:
                return forbidden
            return json_response({"login": self.login, "id": 1, "type": "User"})
        if method == "POST" and path == "/graphql":
            return json_response({"data": {"viewer": {"login": self.login.removesuffix("[bot]")}}})
        if match := re.fullmatch(rf"{repo}/issues/(\d+)/comments", path):
            number = int(match[1])
            if method == "GET":
                return self._comment_page(request, number)
            if method == "POST":
                if self.read_only:
                    return forbidden
                body = seen.json()["body"]
                if len(body) > self.comment_limit:
                    return self._too_long()
                comment = self.add_comment(number, body)
                return json_response(self._comment_json(comment), 201)
        if match := re.fullmatch(rf"{repo}/issues/comments/(\d+)", path):
            found = self._find_comment(int(match[1]))
            if found is None:
                return json_response({"message": "Not Found"}, 404)
            if self.read_only or found.login != self.login:
                return forbidden
            if method == "PATCH":
                body = seen.json()["body"]
                if len(body) > self.comment_limit:
                    return self._too_long()
                found.body = body
                return json_response(self._comment_json(found))
            if method == "DELETE":
                for comments in self.comments.values():
                    if found in comments:
                        comments.remove(found)
                return Response(status=204)
        if method == "GET" and (match := re.fullmatch(rf"{repo}/pulls/(\d+)", path)):
            head = self.pull_heads.get(int(match[1]))
            if head is None:
                return json_response({"message": "Not Found"}, 404)
            return json_response(
                {"number": int(match[1]), "state": "open", "head": {"sha": head, "ref": "topic"}}
            )
        if method == "GET" and (match := re.fullmatch(rf"{repo}/releases/tags/(.+)", path)):
            for release in self.releases:
                if release.tag == match[1]:
                    return json_response(self._release_json(release))
            return json_response({"message": "Not Found"}, 404)
        if match := re.fullmatch(rf"{repo}/releases/(\d+)(/assets)?", path):
            by_id = next((r for r in self.releases if r.id == int(match[1])), None)
            if by_id is None:
                return json_response({"message": "Not Found"}, 404)
            if match[2]:
                return json_response([self._asset_json(a) for a in by_id.assets])
            return json_response(self._release_json(by_id))
        if method == "DELETE" and (match := re.fullmatch(rf"{repo}/releases/assets/(\d+)", path)):
            for release in self.releases:
                for asset in list(release.assets):
                    if asset.id == int(match[1]):
                        release.assets.remove(asset)
                        return Response(status=204)
            return json_response({"message": "Not Found"}, 404)
        if method == "POST" and (
            match := re.fullmatch(rf"/uploads{repo}/releases/(\d+)/assets", path)
        ):
            return self._upload_asset(request, seen, int(match[1]))
        return json_response({"message": f"fake GitHub has no route {method} {path}"}, 404)

    def _too_long(self) -> Response:
        return json_response(
            {
                "message": "Validation Failed",
                "errors": [
                    {
                        "resource": "IssueComment",
                        "code": "custom",
                        "field": "body",
                        "message": f"body is too long (maximum is {self.comment_limit} characters)",
                    }
                ],
            },
            422,
        )

    def _find_comment(self, comment_id: int) -> Comment | None:
        for comments in self.comments.values():
            for comment in comments:
                if comment.id == comment_id:
                    return comment
        return None

    def _comment_page(self, request: Request, number: int) -> Response:
        comments = self.comments.get(number, [])
        per_page = int(request.args.get("per_page", "30"))
        page = int(request.args.get("page", "1"))
        chunk = comments[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(comments) // per_page))
        links = []
        base = f"{self.base_url}{request.path}"
        if page < last:
            links.append(
                f'<{base}?{urlencode({"per_page": per_page, "page": page + 1})}>; rel="next"'
            )
            links.append(f'<{base}?{urlencode({"per_page": per_page, "page": last})}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        return json_response([self._comment_json(c) for c in chunk], 200, headers)

    def _upload_asset(self, request: Request, seen: Seen, release_id: int) -> Response:
        release = next(r for r in self.releases if r.id == release_id)
        name = request.args["name"]
        if name in self.competing_uploads:
            self.competing_uploads.discard(name)
            self.add_asset(release, name, b"from another job", "application/octet-stream")
        if any(a.name == name for a in release.assets):
            return json_response(
                {
                    "message": "Validation Failed",
                    "errors": [
                        {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}
                    ],
                },
                422,
            )
        declared = int(request.headers.get("Content-Length", "-1"))
        if declared != len(seen.body):
            return json_response({"message": "Content-Length mismatch"}, 400)
        asset = self.add_asset(release, name, seen.body, request.headers.get("Content-Type", ""))
        return json_response(self._asset_json(asset), 201)
