"""String attributes as the TF.js 1.x converters wrote them: byte arrays, not base64.

Proto3 JSON writes a ``bytes`` field as base64 (``"s": "TkhXQw=="``), which later
converters do; the 1.x converters wrote the bytes as a list of numbers
(``"s": [78, 72, 87, 67]``). TF.js's loader reads both (tfjs-converter's
``parseStringParam``); protobuf's JSON parser only the first, so byte lists are rewritten
to base64 before anything else reads the graph.
"""

from __future__ import annotations

import base64
from typing import Any


def _is_byte_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b < 256 for b in value)
        and bool(value)
    )


def _as_base64(byte_list: list[int]) -> str:
    return base64.b64encode(bytes(byte_list)).decode("ascii")


def _fix_attr_value(value: dict[str, Any]) -> dict[str, Any]:
    fixed = dict(value)
    if _is_byte_list(fixed.get("s")):
        fixed["s"] = _as_base64(fixed["s"])
    listed = fixed.get("list")
    if isinstance(listed, dict) and isinstance(listed.get("s"), list):
        fixed["list"] = {
            **listed,
            "s": [_as_base64(s) if _is_byte_list(s) else s for s in listed["s"]],
        }
    func = fixed.get("func")
    if isinstance(func, dict) and isinstance(func.get("attr"), dict):
        fixed["func"] = {**func, "attr": _fix_attrs(func["attr"])}
    return fixed


def _fix_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: _fix_attr_value(v) if isinstance(v, dict) else v for k, v in attrs.items()}


def _fix_node(node: Any) -> Any:
    if not isinstance(node, dict) or not isinstance(node.get("attr"), dict):
        return node
    return {**node, "attr": _fix_attrs(node["attr"])}


def _fix_function(function: Any) -> Any:
    if not isinstance(function, dict):
        return function
    fixed = dict(function)
    for key in ("nodeDef", "node_def"):
        if isinstance(fixed.get(key), list):
            fixed[key] = [_fix_node(n) for n in fixed[key]]
    if isinstance(fixed.get("attr"), dict):
        fixed["attr"] = _fix_attrs(fixed["attr"])
    return fixed


def with_base64_strings(graph: dict[str, Any]) -> dict[str, Any]:
    """``graph`` (a GraphDef in JSON form) with every string attribute written as a byte list
    rewritten to base64; a graph without any is returned equal. The input is not modified."""
    fixed = dict(graph)
    if isinstance(fixed.get("node"), list):
        fixed["node"] = [_fix_node(n) for n in fixed["node"]]
    library = fixed.get("library")
    if isinstance(library, dict) and isinstance(library.get("function"), list):
        fixed["library"] = {**library, "function": [_fix_function(f) for f in library["function"]]}
    return fixed
