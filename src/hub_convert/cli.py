"""``hub-convert`` command line: ``convert`` a model, ``publish`` a report.

Exit codes: 0 the policy passed · 1 the policy failed (or publishing failed) · 2 bad input.
Errors a user can cause print one line; ``--debug`` shows tracebacks and TensorFlow's output.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from . import __version__, policy_file, representative_data
from .config import (
    DEFAULT_FAIL_ON,
    DEFAULT_ONNX_VARIANTS,
    DEFAULT_TFLITE_VARIANTS,
    ONNX_VARIANTS,
    TARGETS,
    TFLITE_VARIANTS,
    ConvertConfig,
    parse_choices,
    parse_fail_on,
    parse_input_shapes,
    parse_max_drift,
    parse_positive_int,
    parse_tags,
)
from .errors import BadInputError, HubConvertError


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are BadInputError (one line, exit 2) like every other."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise BadInputError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hub-convert", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--version", action="version", version=f"hub-convert {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    convert = commands.add_parser(
        "convert",
        help="convert a model to TFLite and ONNX, validate, and write report.json / report.md",
    )
    convert.add_argument(
        "model",
        help="a SavedModel directory, a .tar.gz/.tgz/.zip of one, a .keras or .h5 file, a TF.js "
        "model.json (or its directory), or a TF Hub / Kaggle handle URL",
    )
    convert.add_argument(
        "--source-kind",
        help="what MODEL is, when the guess is wrong: saved_model, tf1_hub, hub, archive, "
        "keras, h5, tfjs (default: decided from MODEL)",
    )
    convert.add_argument(
        "--allow-unsafe",
        action="store_true",
        help="load Keras files whose Lambda layers or custom classes run code (trust the file)",
    )
    convert.add_argument("--output-dir", "-o", required=True, type=Path)
    convert.add_argument(
        "--targets", default=",".join(TARGETS), help=f"comma list of {', '.join(TARGETS)}"
    )
    convert.add_argument(
        "--tflite-variants",
        default=",".join(DEFAULT_TFLITE_VARIANTS),
        help=f"comma list of {', '.join(TFLITE_VARIANTS)} "
        f"(default: {','.join(DEFAULT_TFLITE_VARIANTS)})",
    )
    convert.add_argument(
        "--onnx-variants",
        default=",".join(DEFAULT_ONNX_VARIANTS),
        help=f"comma list of {', '.join(ONNX_VARIANTS)} (default: float32)",
    )
    convert.add_argument(
        "--int8-io",
        choices=("float", "int8"),
        default="float",
        help="inputs/outputs of the TFLite int8 variant: float (quantize inside the model) "
        "or int8 (the caller quantizes)",
    )
    convert.add_argument(
        "--onnx-float16-io",
        choices=("float32", "float16"),
        default="float32",
        help="inputs/outputs of the ONNX float16 variant (default: keep float32)",
    )
    convert.add_argument(
        "--representative-data",
        type=Path,
        metavar="PATH",
        help=".npz with one array per input name (first axis = samples), or a directory of "
        "NAME.npy files: calibrates int8/int16x8 and is used for validation",
    )
    convert.add_argument(
        "--calibration-samples",
        default="100",
        help="samples used to calibrate int8/int16x8 (default 100)",
    )
    convert.add_argument(
        "--latency-runs",
        default="20",
        help="timed runs per runtime for the median latency; 0 to skip (default 20)",
    )
    convert.add_argument(
        "--policy",
        type=Path,
        metavar="FILE",
        help="YAML file with fail-on and tolerances (command-line options take precedence)",
    )
    convert.add_argument(
        "--signature", help="signature to convert (default: serving_default, or the only one)"
    )
    convert.add_argument(
        "--tags", help="MetaGraph tags, comma-separated (default: serve); '' for none"
    )
    convert.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="NAME=1x224x224x3",
        help="concrete shape for an input with dynamic dimensions (repeatable); "
        "dynamic dimensions default to 1",
    )
    convert.add_argument("--samples", default="8", help="validation samples (default 8)")
    convert.add_argument("--seed", default="0", help="seed of the validation inputs (default 0)")
    convert.add_argument("--opset", default="17", help="ONNX opset (default 17)")
    convert.add_argument(
        "--max-drift",
        help="max abs error allowed: one number for every variant, or "
        "VARIANT=NUMBER,... (e.g. float32=1e-4,float16=5e-3)",
    )
    convert.add_argument(
        "--allow-flex",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep ops TFLite builtins lack as Flex (SELECT_TF_OPS) ops (default: on)",
    )
    convert.add_argument(
        "--fail-on",
        default=None,
        help="rules that make the exit code 1: error, drift, flex, unsupported-ops, "
        "not-validated (default: error,drift)",
    )
    convert.add_argument(
        "--timeout", default="900", help="seconds allowed per conversion (default 900)"
    )
    convert.add_argument(
        "--jobs", default="0", help="worker processes (default 0: one per CPU core)"
    )
    convert.add_argument("--debug", action="store_true", help="tracebacks and TensorFlow logs")

    publish = commands.add_parser(
        "publish",
        help="post an existing report.json to GitHub (never imports TensorFlow)",
    )
    _add_publish(publish)
    return parser


def _add_publish(parser: argparse.ArgumentParser) -> None:
    from .publish import add_publish_arguments

    add_publish_arguments(parser)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def config_from_args(args: argparse.Namespace, argv: Sequence[str]) -> ConvertConfig:
    """Validate the parsed ``convert`` arguments into a ConvertConfig (BadInputError if not)."""
    timeout = float(parse_positive_int(args.timeout, "--timeout"))
    policy = policy_file.load(args.policy) if args.policy else None
    if args.fail_on is not None:
        fail_on = parse_fail_on(args.fail_on)
    elif policy is not None and policy.fail_on is not None:
        fail_on = policy.fail_on
    else:
        fail_on = DEFAULT_FAIL_ON
    if args.representative_data is not None:
        # Checked here (names and readability) so bad data stops before any work starts;
        # shapes and dtypes are checked against the signature once the model is loaded.
        representative_data.open_arrays(args.representative_data)
    return ConvertConfig(
        model=args.model,
        output_dir=args.output_dir,
        targets=parse_choices(args.targets, TARGETS, "--targets"),
        tflite_variants=parse_choices(args.tflite_variants, TFLITE_VARIANTS, "--tflite-variants"),
        onnx_variants=parse_choices(args.onnx_variants, ONNX_VARIANTS, "--onnx-variants"),
        signature=args.signature,
        tags=parse_tags(args.tags),
        input_shapes=parse_input_shapes(args.input_shape),
        samples=parse_positive_int(args.samples, "--samples"),
        seed=parse_positive_int(args.seed, "--seed", minimum=0),
        opset=parse_positive_int(args.opset, "--opset", minimum=7),
        max_drift=parse_max_drift(args.max_drift),
        allow_flex=args.allow_flex,
        fail_on=fail_on,
        int8_io=args.int8_io,
        onnx_float16_io=args.onnx_float16_io,
        representative_data=args.representative_data,
        calibration_samples=parse_positive_int(args.calibration_samples, "--calibration-samples"),
        latency_runs=parse_positive_int(args.latency_runs, "--latency-runs", minimum=0),
        tolerances=policy.tolerances if policy else {},
        policy_file=args.policy,
        timeout=timeout,
        jobs=parse_positive_int(args.jobs, "--jobs", minimum=0),
        command=shlex.join(["hub-convert", *argv]),
        source_kind=args.source_kind,
        allow_unsafe=args.allow_unsafe,
    )


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_convert(config: ConvertConfig, *, debug: bool) -> int:
    from .pipeline import run

    report = run(config, _log, debug=debug)
    verdict = report.verdict
    print(("PASSED: " if verdict.passed else "FAILED: ") + verdict.line)
    for failure in verdict.failures:
        print(f"  - {failure}")
    print(f"report: {config.output_dir / 'report.md'}")
    return 0 if verdict.passed else 1


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        if args.command == "convert":
            return run_convert(config_from_args(args, argv), debug=debug)
        from .publish import run_publish

        return run_publish(args, os.environ)
    except HubConvertError as exc:
        if debug:
            traceback.print_exc()
        print(f"hub-convert: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("hub-convert: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
