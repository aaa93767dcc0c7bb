"""``--policy hub-convert.yml``: tolerances and fail-on rules kept in the repository.

```yaml
fail-on: [error, drift, flex]
require: [xnnpack-full]                 # where each file must run (default: nowhere in particular)
tolerances:
  "*":          {max_abs: 1e-3}        # every artifact
  float16:      {min_cosine: 0.9995}    # a variant, in both targets
  tflite:int8:  {min_cosine: 0.995, min_psnr_db: 35}
```

Precedence: command-line options, then this file, then the defaults stated in the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from ..errors import BadInputError
from ..report.artifact import Tolerance
from ..report.vocabulary import FAIL_RULES, FailRule
from ..safety.safe_read import read_file
from .device_rules import DEVICE_RULES, DeviceRule
from .tolerances import check_key

MAX_POLICY_BYTES = 1 << 20  # a policy file is a few lines


@dataclass(frozen=True)
class PolicyFile:
    fail_on: tuple[FailRule, ...] | None
    tolerances: dict[str, Tolerance]
    require: tuple[DeviceRule, ...] | None = None


def load(path: Path, label: str = "--policy") -> PolicyFile:
    """Read and check a policy file; BadInputError naming the file and the bad entry."""
    where = f"{label} {path}"
    try:
        data = yaml.safe_load(read_file(path, MAX_POLICY_BYTES, where).decode("utf-8"))
    except UnicodeDecodeError:
        raise BadInputError(f"{where}: not UTF-8 text; save the policy file as UTF-8") from None
    except yaml.YAMLError as exc:
        raise BadInputError(f"{where}: not valid YAML ({exc})".replace("\n", " ")) from exc
    except RecursionError:  # PyYAML composes nested collections recursively
        raise BadInputError(f"{where}: YAML nested too deeply for a policy file") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadInputError(f"{where}: expected a mapping with fail-on, require and/or tolerances")
    unknown = sorted(set(data) - {"fail-on", "require", "tolerances"})
    if unknown:
        raise BadInputError(
            f"{where}: unknown key {unknown[0]!r}; use fail-on, require, tolerances"
        )
    fail_on: tuple[FailRule, ...] | None = None
    if "fail-on" in data:
        rules = data["fail-on"]
        if isinstance(rules, str):
            rules = [r.strip() for r in rules.split(",") if r.strip()]
        if not isinstance(rules, list) or any(r not in FAIL_RULES for r in rules):
            raise BadInputError(f"{where}: fail-on must list rules from {', '.join(FAIL_RULES)}")
        fail_on = tuple(rule for rule in FAIL_RULES if rule in rules)
    require: tuple[DeviceRule, ...] | None = None
    if "require" in data:
        wanted = data["require"] or []
        if isinstance(wanted, str):
            wanted = [r.strip() for r in wanted.split(",") if r.strip()]
        if not isinstance(wanted, list) or any(r not in DEVICE_RULES for r in wanted):
            raise BadInputError(f"{where}: require must list rules from {', '.join(DEVICE_RULES)}")
        require = tuple(rule for rule in DEVICE_RULES if rule in wanted)
    tolerances: dict[str, Tolerance] = {}
    raw = data.get("tolerances") or {}
    if not isinstance(raw, dict):
        raise BadInputError(f"{where}: tolerances must map VARIANT or TARGET:VARIANT to bounds")
    for key, bounds in raw.items():
        check_key(str(key), where)
        try:
            tolerances[str(key)] = Tolerance.model_validate(bounds)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in error["loc"])
            raise BadInputError(
                f"{where}: tolerances.{key}{'.' + field if field else ''}: {error['msg']} "
                "(known bounds: max_abs, max_rel, min_cosine, min_psnr_db, whole_min_cosine, "
                "whole_min_psnr_db)"
            ) from None
    return PolicyFile(fail_on=fail_on, tolerances=tolerances, require=require)
