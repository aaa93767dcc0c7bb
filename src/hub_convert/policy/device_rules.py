"""``require:`` rules: where a file must run, as gates (default off). Each broken rule is one
line naming the artifact, the rule and what was measured."""

from __future__ import annotations

from ..errors import BadInputError
from ..report.artifact import Artifact
from ..report.device import DEVICE_RULES, DeviceRule, DeviceView

__all__ = ["DEVICE_RULES", "DeviceRule", "device_failures", "parse_device_rules"]


def parse_device_rules(text: str, label: str) -> tuple[DeviceRule, ...]:
    """``xnnpack-full,coreml-full`` → the rules, in their canonical order; BadInputError
    naming ``label`` for an unknown one."""
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [rule for rule in wanted if rule not in DEVICE_RULES]
    if unknown:
        raise BadInputError(f"{label}: unknown rule {unknown[0]!r}; use {', '.join(DEVICE_RULES)}")
    return tuple(rule for rule in DEVICE_RULES if rule in wanted)


def _left(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return shown + (", …" if len(names) > 5 else "")


def _broken(rule: DeviceRule, view: DeviceView) -> str | None:
    if rule == "xnnpack-full":
        xnnpack = view.xnnpack
        if xnnpack is None:
            return "XNNPACK not checked"
        if xnnpack.full:
            return None
        left = _left([o.op for o in xnnpack.left_out])
        return f"{xnnpack.delegated_ops}/{xnnpack.total_ops} ops on XNNPACK ({left} left)"
    wanted = "NNAPI" if rule == "nnapi-full" else "CoreML"
    checked = [m for m in view.mobile if m.provider.startswith(wanted)]
    if not checked:
        return f"{wanted} not checked"
    if rule == "coreml-full" and any(m.full for m in checked):
        return None  # either CoreML format whole is enough: the app picks the format
    partitions = checked[0]
    if partitions.full:
        return None
    left = _left([u.op for u in partitions.unsupported_ops])
    return (
        f"{partitions.provider} takes {partitions.supported_nodes}/{partitions.total_nodes} "
        f"nodes in {partitions.partitions} partition(s)" + (f" ({left} left)" if left else "")
    )


def device_failures(artifact: Artifact, rules: tuple[DeviceRule, ...]) -> list[str]:
    """One line per ``rules`` entry this artifact breaks. A rule about the other target's
    runtime does not apply (XNNPACK to TFLite files, NNAPI and CoreML to ONNX files); a
    file without a device view breaks none (its status is judged by ``--fail-on``)."""
    if artifact.device is None:  # no file, or one that never loaded
        return []
    lines = []
    for rule in rules:
        if (rule == "xnnpack-full") != (artifact.target == "tflite"):
            continue
        broken = _broken(rule, artifact.device)
        if broken:
            lines.append(f"{artifact.target} {artifact.variant}: {broken} (rule {rule})")
    return lines
