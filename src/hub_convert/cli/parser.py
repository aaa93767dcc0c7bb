"""The ``hub-convert`` argument parser: commands, grouped options, help with defaults."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from .. import __version__
from ..errors import BadInputError
from ..report.vocabulary import ONNX_VARIANTS, SOURCE_KINDS, TARGETS, TFLITE_VARIANTS
from ..run.config import (
    DEFAULT_FAIL_ON,
    DEFAULT_ONNX_VARIANTS,
    DEFAULT_OUTPUT_DIR,
    DEFAULT_TFLITE_VARIANTS,
    FLOAT16_IO,
    INT8_IO,
)
from .plan_command import add_plan_options
from .publish_options import add_publish_options

DESCRIPTION = (
    "Convert TensorFlow models to TFLite and ONNX, validate them against the original, "
    "and report; publish the report to GitHub."
)

EXIT_CODES = """\
exit codes:
  0  the policy passed (publish: published)
  1  the policy failed: a rule of --fail-on or --require matched (publish: publishing failed)
  2  bad input: the model, an option or a file is wrong; one line says which
"""

CONVERT_EXAMPLES = """\
examples:
  hub-convert convert models/classifier -o out
  hub-convert convert model.keras -o out --tflite-variants float32,int8 \\
      --representative-data samples.npz
  hub-convert convert https://www.kaggle.com/models/OWNER/MODEL/... -o out --targets onnx
  hub-convert convert models/classifier -o out --base /tmp/base/models/classifier
"""

PUBLISH_EXAMPLES = """\
examples:
  hub-convert publish out/report.json --comment always
  hub-convert publish a/report.json b/report.json --comment-key models
"""


PLAN_EXAMPLES = """\
examples:
  hub-convert plan --models 'models/*'
  hub-convert plan --models 'models/*' --base-ref "$BASE_SHA"
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Epilogs as laid out; option help wrapped at spaces only (never inside `nnapi-full`)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are BadInputError (one line, exit 2) like every other."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # The error line already starts "hub-convert: error:"; the command goes with --help.
        raise BadInputError(f"{message} (see {self.prog} --help)")


def _wrapped(text: str) -> str:
    # The epilogs are laid out by hand (RawDescriptionHelpFormatter), so descriptions are
    # wrapped here.
    return textwrap.fill(text, width=78)


def _comma_list(names: tuple[str, ...]) -> str:
    return ",".join(names)


def _add_convert(commands: argparse._SubParsersAction[_Parser]) -> None:
    convert = commands.add_parser(
        "convert",
        help="convert a model to TFLite and ONNX, validate, and write report.json / report.md",
        description=_wrapped(
            "Convert MODEL to TFLite and ONNX, run every file and the original on the same "
            "inputs, judge each against its tolerance, and write report.json and report.md to "
            "the output directory."
        ),
        usage="hub-convert convert MODEL --output-dir DIR [options]",
        epilog=EXIT_CODES + "\n" + CONVERT_EXAMPLES,
        formatter_class=_Formatter,
    )
    convert.add_argument(
        "model",
        metavar="MODEL",
        help="a SavedModel directory, a .tar.gz/.tgz/.zip of one, a .keras or .h5 file, a TF.js "
        "model.json (or its directory), a frozen graph .pb, or a TF Hub / Kaggle handle URL",
    )
    source = convert.add_argument_group("input")
    source.add_argument(
        "--source-kind",
        metavar="KIND",
        help=f"what MODEL is, when the guess is wrong: {', '.join(SOURCE_KINDS)} "
        "(default: decided from MODEL)",
    )
    source.add_argument(
        "--signature",
        metavar="NAME",
        help="signature to convert (default: serving_default, or the only one)",
    )
    source.add_argument(
        "--tags",
        metavar="TAGS",
        help="MetaGraph tags, comma-separated; '' for none (default: serve)",
    )
    source.add_argument(
        "--inputs",
        metavar="NAMES",
        help="a frozen graph's (.pb) tensors to feed, comma-separated node names, NAME:INDEX "
        "for another output of a node, NAME=VALUE to fix one (training=false) instead "
        "(default: its Placeholders the outputs read, less iterator handles, and each "
        "PlaceholderWithDefault whose default needs an iterator)",
    )
    source.add_argument(
        "--outputs",
        metavar="NAMES",
        help="a frozen graph's (.pb) outputs, comma-separated node names or NAME:INDEX "
        "(default: its sinks, less those that need a tensor no feed can give)",
    )
    source.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="NAME=1x224x224x3",
        help="concrete shape for an input with dynamic dimensions (repeatable) (default: batch "
        "1, image height/width 224, other dimensions 16, retried at other sizes)",
    )

    outputs = convert.add_argument_group("outputs and variants")
    outputs.add_argument(
        "--output-dir",
        "-o",
        required=True,
        metavar="DIR",
        help="where the converted files, report.json and report.md go (required; the Action's "
        f"default is {DEFAULT_OUTPUT_DIR})",
    )
    outputs.add_argument(
        "--targets",
        metavar="LIST",
        help=f"comma list of {', '.join(TARGETS)} (default: {_comma_list(TARGETS)})",
    )
    outputs.add_argument(
        "--tflite-variants",
        metavar="LIST",
        help=f"comma list of {', '.join(TFLITE_VARIANTS)} "
        f"(default: {_comma_list(DEFAULT_TFLITE_VARIANTS)})",
    )
    outputs.add_argument(
        "--onnx-variants",
        metavar="LIST",
        help=f"comma list of {', '.join(ONNX_VARIANTS)} "
        f"(default: {_comma_list(DEFAULT_ONNX_VARIANTS)})",
    )
    outputs.add_argument(
        "--int8-io",
        choices=INT8_IO,
        help="inputs/outputs of the TFLite int8 (and int8-mixed) variant: float (quantize "
        "inside the model) "
        f"or int8 (the caller quantizes) (default: {INT8_IO[0]})",
    )
    outputs.add_argument(
        "--onnx-float16-io",
        choices=FLOAT16_IO,
        help=f"inputs/outputs of the ONNX float16 variant (default: {FLOAT16_IO[0]})",
    )
    outputs.add_argument("--opset", metavar="N", help="ONNX opset (default: 17)")
    outputs.add_argument(
        "--allow-flex",
        action=argparse.BooleanOptionalAction,
        help="keep ops TFLite builtins lack as Flex (SELECT_TF_OPS) ops (default: on)",
    )
    outputs.add_argument(
        "--representative-data",
        metavar="PATH",
        help=".npz with one array per input name (first axis = samples), or a directory of "
        "NAME.npy files: calibrates int8/int16x8/int8-mixed and is used for validation "
        "(default: synthetic inputs)",
    )
    outputs.add_argument(
        "--calibration-samples",
        metavar="N",
        help="samples used to calibrate int8/int16x8/int8-mixed (default: 100)",
    )

    judged = convert.add_argument_group("validation and policy")
    judged.add_argument("--samples", metavar="N", help="validation samples (default: 8)")
    judged.add_argument("--seed", metavar="N", help="seed of the validation inputs (default: 0)")
    judged.add_argument(
        "--max-drift",
        metavar="BOUND",
        help="max abs error allowed: one number for every variant, or VARIANT=NUMBER,... "
        "(e.g. float32=1e-4,float16=5e-3) (default: each variant's own, relative to each "
        "output's peak; docs/report.md, Validation inputs and tolerances)",
    )
    judged.add_argument(
        "--fail-on",
        metavar="RULES",
        help="rules that make the exit code 1: error, drift, flex, unsupported-ops, "
        f"not-validated (default: {_comma_list(DEFAULT_FAIL_ON)})",
    )
    judged.add_argument(
        "--require",
        metavar="RULES",
        help="where every file must run, or the exit code is 1: xnnpack-full (TFLite: every op "
        "on XNNPACK), nnapi-full, coreml-full (ONNX: every node in one NNAPI / CoreML "
        "partition) (default: none, or the policy file's)",
    )
    judged.add_argument(
        "--policy",
        metavar="FILE",
        help="YAML file with fail-on, require and tolerances; command-line options take precedence "
        "(default: none)",
    )
    judged.add_argument(
        "--latency-runs",
        metavar="N",
        help="timed runs per runtime for the median latency; 0 to skip (default: 20)",
    )
    judged.add_argument(
        "--explain",
        action=argparse.BooleanOptionalAction,
        help="compare every artifact with the original layer by layer, not only drifting "
        "ones (advice: never changes a verdict) (default: off)",
    )

    resources = convert.add_argument_group("resources")
    resources.add_argument(
        "--timeout", metavar="SECONDS", help="seconds allowed per conversion (default: 900)"
    )
    resources.add_argument(
        "--jobs", metavar="N", help="worker processes; 0 for one per CPU core (default: 0)"
    )
    resources.add_argument(
        "--max-memory",
        metavar="SIZE",
        help="memory each worker process may allocate, e.g. 8G or 512M; 0 for no limit "
        "(default: 3/4 of the machine's memory shared by the workers)",
    )

    comparison = convert.add_argument_group("comparison")
    comparison.add_argument(
        "--base",
        metavar="MODEL",
        help="the model before the change (any kind MODEL can be): converted the same way, "
        "and the report leads with what changed from it (default: no comparison)",
    )
    comparison.add_argument(
        "--base-cache",
        metavar="DIR",
        help="where the base's report is kept, keyed by its files' hash and the settings "
        "(default: ~/.cache/hub-convert/base-reports)",
    )

    safety = convert.add_argument_group("safety")
    safety.add_argument(
        "--allow-unsafe",
        action="store_true",
        help="load Keras files whose Lambda layers or custom classes run code; trust the file "
        "(default: refused)",
    )
    safety.add_argument(
        "--allow-unsafe-ops",
        action="store_true",
        help="run graphs with ops that read or write files, use the network or call Python; "
        "trust the model (default: refused)",
    )
    convert.add_argument(
        "--debug", action="store_true", help="show tracebacks and TensorFlow's logs"
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``hub-convert``: ``convert`` and ``publish``, each with grouped options."""
    parser = _Parser(
        prog="hub-convert",
        description=_wrapped(DESCRIPTION),
        epilog=EXIT_CODES + "\nRun 'hub-convert COMMAND --help' for a command's options.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"hub-convert {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    _add_convert(commands)
    publish = commands.add_parser(
        "publish",
        help="post existing report.json files to GitHub (never imports TensorFlow)",
        description=_wrapped(
            "Publish report.json files written by 'hub-convert convert': a sticky pull request "
            "comment, a workflow artifact, release assets and step outputs. Options have the "
            "Action's input names; the token comes from GITHUB_TOKEN."
        ),
        usage="hub-convert publish REPORT_JSON [REPORT_JSON ...] [options]",
        epilog=EXIT_CODES + "\n" + PUBLISH_EXAMPLES,
        formatter_class=_Formatter,
    )
    add_publish_options(publish)
    planned = commands.add_parser(
        "plan",
        help="list the models a matrix of convert jobs covers, as JSON (never imports TensorFlow)",
        description=_wrapped(
            "Print the models to convert as a GitHub Actions matrix, "
            '{"include": [{"model": PATH, "name": NAME}, ...]}; in a workflow step also set '
            "the step outputs matrix and count. NAME is the model's file-name-safe name, as "
            "the Action's models input names output directories and artifacts."
        ),
        usage="hub-convert plan --models GLOB [--models GLOB ...] [--base-ref REF]",
        epilog=PLAN_EXAMPLES,
        formatter_class=_Formatter,
    )
    add_plan_options(planned)
    return parser


def report_paths(args: argparse.Namespace) -> list[Path]:
    """The report.json files ``publish`` was given, in order."""
    return [args.report_json, *args.more_reports]
