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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import BadInputError, HubConvertError, error_line
from .github.settings import PUBLISH_OPTIONS, PublishSettings, token_from_env
from .report.vocabulary import ONNX_VARIANTS, SOURCE_KINDS, TARGETS, TFLITE_VARIANTS
from .run.config import (
    CONVERT_OPTIONS,
    DEFAULT_ONNX_VARIANTS,
    DEFAULT_TFLITE_VARIANTS,
    FLOAT16_IO,
    INT8_IO,
    ConvertConfig,
    build_config,
)

if TYPE_CHECKING:
    from .run.base_run import Base


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
        help=f"what MODEL is, when the guess is wrong: {', '.join(SOURCE_KINDS)} "
        "(default: decided from MODEL)",
    )
    convert.add_argument(
        "--allow-unsafe",
        action="store_true",
        help="load Keras files whose Lambda layers or custom classes run code (trust the file)",
    )
    convert.add_argument(
        "--allow-unsafe-ops",
        action="store_true",
        help="run graphs with ops that read or write files, use the network or call Python "
        "(refused by default; trust the model)",
    )
    convert.add_argument("--output-dir", "-o", required=True)
    convert.add_argument("--targets", help=f"comma list of {', '.join(TARGETS)} (default: both)")
    convert.add_argument(
        "--tflite-variants",
        help=f"comma list of {', '.join(TFLITE_VARIANTS)} "
        f"(default: {','.join(DEFAULT_TFLITE_VARIANTS)})",
    )
    convert.add_argument(
        "--onnx-variants",
        help=f"comma list of {', '.join(ONNX_VARIANTS)} "
        f"(default: {','.join(DEFAULT_ONNX_VARIANTS)})",
    )
    convert.add_argument(
        "--int8-io",
        choices=INT8_IO,
        help="inputs/outputs of the TFLite int8 variant: float (quantize inside the model) "
        "or int8 (the caller quantizes)",
    )
    convert.add_argument(
        "--onnx-float16-io",
        choices=FLOAT16_IO,
        help="inputs/outputs of the ONNX float16 variant (default: keep float32)",
    )
    convert.add_argument(
        "--representative-data",
        metavar="PATH",
        help=".npz with one array per input name (first axis = samples), or a directory of "
        "NAME.npy files: calibrates int8/int16x8 and is used for validation",
    )
    convert.add_argument(
        "--calibration-samples",
        help="samples used to calibrate int8/int16x8 (default 100)",
    )
    convert.add_argument(
        "--latency-runs",
        help="timed runs per runtime for the median latency; 0 to skip (default 20)",
    )
    convert.add_argument(
        "--policy",
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
        "otherwise batch 1, image height/width 224, other dimensions 16, retried at other sizes",
    )
    convert.add_argument("--samples", help="validation samples (default 8)")
    convert.add_argument("--seed", help="seed of the validation inputs (default 0)")
    convert.add_argument("--opset", help="ONNX opset (default 17)")
    convert.add_argument(
        "--max-drift",
        help="max abs error allowed: one number for every variant, or "
        "VARIANT=NUMBER,... (e.g. float32=1e-4,float16=5e-3)",
    )
    convert.add_argument(
        "--allow-flex",
        action=argparse.BooleanOptionalAction,
        help="keep ops TFLite builtins lack as Flex (SELECT_TF_OPS) ops (default: on)",
    )
    convert.add_argument(
        "--fail-on",
        help="rules that make the exit code 1: error, drift, flex, unsupported-ops, "
        "not-validated (default: error,drift)",
    )
    convert.add_argument("--timeout", help="seconds allowed per conversion (default 900)")
    convert.add_argument("--jobs", help="worker processes (default 0: one per CPU core)")
    convert.add_argument(
        "--max-memory",
        metavar="SIZE",
        help="memory each worker process may allocate, e.g. 8G or 512M; 0 for no limit "
        "(default: 3/4 of the machine's memory shared by the workers)",
    )
    convert.add_argument(
        "--base",
        metavar="MODEL",
        help="the model before the change (any kind MODEL can be): converted the same way, "
        "and the report leads with what changed from it",
    )
    convert.add_argument(
        "--base-cache",
        metavar="DIR",
        help="where the base's report is kept, keyed by its files' hash and the settings "
        "(default: ~/.cache/hub-convert/base-reports)",
    )
    convert.add_argument("--debug", action="store_true", help="tracebacks and TensorFlow logs")

    publish = commands.add_parser(
        "publish",
        help="post an existing report.json to GitHub (never imports TensorFlow)",
    )
    _add_publish(publish)
    return parser


def _add_publish(parser: argparse.ArgumentParser) -> None:
    """Options of ``hub-convert publish REPORT_JSON`` (same names as the action inputs)."""
    parser.add_argument(
        "report_json",
        metavar="REPORT_JSON",
        type=Path,
        help="report.json written by `hub-convert convert`",
    )
    parser.add_argument(
        "more_reports",
        metavar="REPORT_JSON",
        type=Path,
        nargs="*",
        help="more models' report.json files (the Action's models input): each published, "
        "with one combined comment (key: --comment-key, default 'models')",
    )
    parser.add_argument(
        "--comment", metavar="MODE", help="auto (pull request events), always, never or recreate"
    )
    parser.add_argument(
        "--comment-key", metavar="KEY", help="marker key of the comment (default: the model path)"
    )
    parser.add_argument(
        "--pr-number",
        metavar="N",
        help="pull request to comment on when the event names none "
        "(workflow_run for a fork's pull request)",
    )
    parser.add_argument(
        "--release-tag",
        metavar="TAG",
        help="upload the converted files and report as assets of this release",
    )
    parser.add_argument(
        "--upload-artifact",
        action="store_true",
        default=None,
        help="upload the report's directory as a workflow artifact",
    )
    parser.add_argument(
        "--artifact-name",
        metavar="NAME",
        help="workflow artifact name (default: hub-convert-<model>-<job>-<hash>)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        default=None,
        help="delete an artifact of the same name in the workflow run before uploading",
    )
    parser.add_argument(
        "--retention-days", metavar="DAYS", help="days to keep the workflow artifact"
    )
    parser.add_argument(
        "--no-summary",
        dest="summary",
        action="store_false",
        default=None,
        help="do not write the report to the step summary",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def _option_values(args: argparse.Namespace, names: Sequence[str]) -> dict[str, Any]:
    """argparse's values by option name (``--pr-number`` is ``args.pr_number``)."""
    return {name: getattr(args, name.replace("-", "_")) for name in names}


def _label(name: str) -> str:
    return "MODEL" if name == "model" else f"--{name}"


def config_from_args(args: argparse.Namespace, argv: Sequence[str]) -> ConvertConfig:
    """Validate the parsed ``convert`` arguments into a ConvertConfig (BadInputError if not)."""
    return build_config(
        _option_values(args, CONVERT_OPTIONS),
        label=_label,
        command=shlex.join(["hub-convert", *argv]),
    )


def settings_from_args(args: argparse.Namespace, env: Mapping[str, str]) -> PublishSettings:
    """Validate the parsed ``publish`` options; the token comes from the environment."""
    return PublishSettings.from_values(
        _option_values(args, PUBLISH_OPTIONS),
        label=_label,
        token=token_from_env(env),
        upload_artifact_default=False,
    )


def check_base(base: str) -> Base:
    """``--base``, checked before anything is written: a path that exists, or a handle."""
    from .run.base_run import Base
    from .sources.hub import is_handle

    if not base.strip():
        raise BadInputError("--base: empty; pass the model as it was before the change")
    if not is_handle(base) and not Path(base).expanduser().exists():
        raise BadInputError(
            f"--base {base}: no such file or directory; pass the model as it was before the "
            "change (e.g. extracted with `git archive`)"
        )
    return Base(model=base, label=base)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_convert(
    config: ConvertConfig,
    *,
    debug: bool,
    base: str | None = None,
    base_cache: str | None = None,
) -> int:
    """Convert (compared with ``base`` when given), print the verdict; the exit code."""
    from .run.base_run import default_cache
    from .run.execute import execute, verdict_line

    checked, cache = None, None
    if base is not None:
        checked = check_base(base)
        cache = Path(base_cache) if base_cache else default_cache(os.environ)
    report = execute(config, _log, base=checked, cache=cache, debug=debug)
    verdict = report.verdict
    print(verdict_line(report))
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
            return run_convert(
                config_from_args(args, argv),
                debug=debug,
                base=args.base,
                base_cache=args.base_cache,
            )
        from .github.publish_file import publish_report_file

        if args.more_reports:
            from .github.publish_several import publish_report_files

            return publish_report_files(
                [args.report_json, *args.more_reports],
                settings_from_args(args, os.environ),
                os.environ,
            )
        return publish_report_file(
            args.report_json, settings_from_args(args, os.environ), os.environ
        )
    except HubConvertError as exc:
        if debug:
            traceback.print_exc()
        print(error_line(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("hub-convert: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
