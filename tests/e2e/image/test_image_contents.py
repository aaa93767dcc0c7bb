"""The Action's container image holds what hub-convert uses and nothing it does not.

`make image-test` builds the image from the unmodified Dockerfile and runs the tests in this
folder with HUB_CONVERT_IMAGE naming it; without that variable they are skipped.
"""

from __future__ import annotations

import json

import pytest

from support.container_runner import IMAGE, engine

# 1.3 GB before ai-edge-quantizer and scipy (the measured keep-in-float proposal for dynamic-range
# files, about 100 MB): 1.40 GB measured with them.
MAX_IMAGE_BYTES = 1_450_000_000

pytestmark = [
    pytest.mark.image,
    pytest.mark.skipif(not IMAGE, reason="HUB_CONVERT_IMAGE is not set (make image-test)"),
]


def test_image_has_what_hub_convert_uses_and_nothing_it_does_not() -> None:
    size = int(engine("image", "inspect", IMAGE, "--format", "{{.Size}}").stdout.strip())
    assert size <= MAX_IMAGE_BYTES, f"image is {size:,} bytes, budget {MAX_IMAGE_BYTES:,}"
    config = json.loads(engine("image", "inspect", IMAGE).stdout)[0]["Config"]
    assert config["Entrypoint"] == ["/opt/venv/bin/python", "/opt/hub-convert/entrypoint.py"]
    probe = (
        "import importlib.util, pathlib, tensorflow as tf\n"
        "import hub_convert.action.entry, hub_convert.run.pipeline\n"
        "site = pathlib.Path(tf.__file__).parent.parent\n"
        "print(importlib.util.find_spec('clang') is None,"
        " (site / 'tensorflow' / 'include').exists(),"
        " importlib.util.find_spec('pip') is None,"
        " (site / 'tensorflow' / '__pycache__').is_dir())\n"
    )
    run = engine("run", "--rm", "--network", "none", "--entrypoint", "python", IMAGE, "-c", probe)
    assert run.returncode == 0, run.stderr
    no_clang, headers, no_pip, bytecode = run.stdout.split()
    assert (no_clang, headers, no_pip) == ("True", "False", "True")
    assert bytecode == "True", "the imported modules' bytecode is missing"
