"""The ``trainer-agent`` command line.

::

    trainer-agent run "REQUEST" [--data PATH_OR_REF] [--out DIR] [--time-budget SECONDS] [--llm offline|openai]
                      [--engine ray[=ADDRESS]]
                      [--llm-base-url URL] [--llm-model NAME] [--yes]
    trainer-agent plan "REQUEST" [--data PATH_OR_REF] [--time-budget SECONDS] [--yes] [--json]
    trainer-agent serve DIR/bundle [--port N]
    trainer-agent predict DIR/bundle --input FILE --output FILE [--column NAME] [--keep COLUMN] [--force]

``--llm openai`` reads the request with an OpenAI-compatible model: the endpoint is ``--llm-base-url`` or
``OPENAI_BASE_URL``, the model ``--llm-model`` or ``TRAINER_AGENT_LLM_MODEL``, the key ``OPENAI_API_KEY``
(only ever from the environment). When the model fails, the rule-based reading is used. The model also
moderates the request against the ethics policy and proposes repairs of failing cells (see README).

Exit codes: 0 succeeded, 3 refused or needs input, 1 failed, 2 usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import TrainerAgentError, UsageError

if TYPE_CHECKING:  # the agents load with the command that needs them (plan starts in a second)
    from .agents.base import Event

_COLOURS = {"Task": "35", "Data": "34", "Model": "32", "Server": "33"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trainer-agent", description="Turn a request into a trained, "
                                     "evaluated, deployable model, in a notebook that re-runs anywhere.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a request end to end")
    run.add_argument("request", help="what you need, in words (English or Chinese)")
    run.add_argument("--data", help="a file (CSV, TSV, Parquet, JSON lines, .npz) or folder (images in class "
                     "folders, a datasets folder, text tables), a bundled set such as sklearn:wine, or "
                     "synthetic:shapes (generated images) or synthetic:job-ads (generated texts)")
    run.add_argument("--out", type=Path, help="the run folder: a new or empty one (a folder that holds anything is "
                     "refused, exit 2); default: a fresh runs/<timestamp>")
    run.add_argument("--time-budget", type=float, dest="time_budget", help="seconds the run may take")
    run.add_argument("--engine", metavar="ray[=ADDRESS]", help="where the model search runs: local (default), ray "
                     "(Ray Tune trials on a Ray started for the run) or ray=HOST:PORT (on that Ray cluster); needs "
                     "the ray extra")
    run.add_argument("--llm", choices=["offline", "openai"], default="offline",
                     help="offline rules (default), or an OpenAI-compatible model that reads the request, "
                          "moderates it against the ethics policy and proposes repairs of failing cells")
    run.add_argument("--llm-base-url", dest="llm_base_url", metavar="URL",
                     help="the OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 (default: $OPENAI_BASE_URL, "
                     "else api.openai.com); the key comes from $OPENAI_API_KEY")
    run.add_argument("--llm-model", dest="llm_model", metavar="NAME",
                     help="the model name (default: $TRAINER_AGENT_LLM_MODEL, else gpt-4o-mini)")
    run.add_argument("--yes", action="store_true", help="answer the agents' questions with their defaults")
    run.add_argument("--quiet", action="store_true", help="print only the outcome")
    plan = sub.add_parser("plan", help="what a run would do and whether it would start, without training")
    plan.add_argument("request", help="what you need, in words (English or Chinese)")
    plan.add_argument("--data", help="the data reference, as for run (peeked at: columns, types, size)")
    plan.add_argument("--time-budget", type=float, dest="time_budget", help="seconds the run may take")
    plan.add_argument("--yes", action="store_true", help="as run --yes: go on past clauses not understood")
    plan.add_argument("--json", action="store_true", help="print one JSON object (verdict, reason, spec, plan, "
                      "not_understood, ...)")
    serve = sub.add_parser("serve", help="serve a bundle over HTTP")
    serve.add_argument("bundle", type=Path, help="a run's bundle folder")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--host", default="127.0.0.1")
    predict = sub.add_parser("predict", help="predict every row of a table file with a bundle's ONNX model")
    predict.add_argument("bundle", type=Path, help="a run's bundle folder")
    predict.add_argument("--input", required=True, type=Path, help="the rows to predict (CSV, TSV, Parquet, JSON, "
                         "JSON lines, Excel), with the columns the model was trained on")
    predict.add_argument("--output", required=True, type=Path, help="where to write the predictions (CSV, TSV, "
                         "Parquet or JSON lines, by its suffix)")
    predict.add_argument("--column", help="the name of the prediction column (default: the target's name)")
    predict.add_argument("--keep", action="append", metavar="COLUMN", help="an input column to copy into the "
                         "output, besides those named like an identifier (repeatable)")
    predict.add_argument("--batch-size", type=int, dest="batch_size", help="rows per call of the model")
    predict.add_argument("--no-probabilities", action="store_true", dest="no_probabilities",
                         help="leave out the class probabilities")
    predict.add_argument("--force", action="store_true", help="replace the output file if it exists")
    predict.add_argument("--quiet", action="store_true", help="no progress, only errors")
    return parser


def _printer(quiet: bool):
    tty = sys.stderr.isatty()

    def show(event: Event) -> None:
        if quiet or event.kind not in ("message", "status"):
            return
        label = f"[{event.agent}]"
        if tty:
            label = f"\x1b[{_COLOURS.get(event.agent, '0')}m{label}\x1b[0m"
        print(f"{label} {event.text}", file=sys.stderr, flush=True)

    return show


def _run(args: argparse.Namespace) -> int:
    """``trainer-agent run``: a :class:`~trainer_agent_lab.session.Session` on a headless notebook, one request."""
    from .session import Session, check_time_budget

    if not args.request.strip():
        print("trainer-agent: the request is empty; say what model you need.", file=sys.stderr)
        return 2
    check_time_budget(args.time_budget, "--time-budget")  # UsageError: exit 2
    if args.llm == "offline" and (args.llm_base_url or args.llm_model):
        print("trainer-agent: --llm-base-url and --llm-model need --llm openai.", file=sys.stderr)
        return 2
    session = Session(data=args.data, out=args.out, time_budget_s=args.time_budget, llm=args.llm,
                      llm_options={"base_url": args.llm_base_url, "model": args.llm_model}, assume_yes=args.yes,
                      on_event=_printer(args.quiet), engine=args.engine)  # UsageError (bad --data...): exit 2
    if not args.quiet and args.llm != "offline":
        described = getattr(session.llm, "description", session.llm.name)
        print(f"trainer-agent: reading the request with {described}", file=sys.stderr)
    with session:
        report = session.run(args.request)
    out = session.out
    print(f"status: {report.status}", file=sys.stderr)
    if report.status != "succeeded":
        print(f"reason: {report.reason}", file=sys.stderr)
    print(f"notebook: {session.notebook}")
    if "bundle" in report.paths:  # only a bundle this run wrote (the orchestrator's report says so)
        print(f"bundle: {report.paths['bundle']}")
    print(f"report: {out / 'report.json'}")
    return report.exit_code


def _plan(args: argparse.Namespace) -> int:
    """``trainer-agent plan``: :meth:`Session.plan_for <trainer_agent_lab.session.Session.plan_for>`, printed as
    text or JSON; exit 0 for ``run``, 3 for ``refuse`` / ``needs_input``."""
    import json

    from .session import Session, check_time_budget

    if not args.request.strip():
        print("trainer-agent: the request is empty; say what model you need.", file=sys.stderr)
        return 2
    check_time_budget(args.time_budget, "--time-budget")
    plan = Session(data=args.data, time_budget_s=args.time_budget, assume_yes=args.yes).plan_for(args.request)
    print(json.dumps(plan.to_json(), indent=2, ensure_ascii=False) if args.json else plan.text(), end="\n"
          if args.json else "")
    return plan.exit_code


def _serve(args: argparse.Namespace) -> int:
    """Become the bundle's server (exec, so stopping this command stops the server too)."""
    bundle = args.bundle.resolve()
    if not (bundle / "serve.py").exists():
        print(f"trainer-agent: {args.bundle} is not a bundle (no serve.py in it).", file=sys.stderr)
        return 2
    os.chdir(bundle)
    os.execv(sys.executable, [sys.executable, "serve.py", "--host", args.host, "--port", str(args.port)])
    return 0  # not reached


def _predict(args: argparse.Namespace) -> int:
    """Run the bundle's own ``predict.py`` on the input (so the CLI and the bundle predict alike by construction);
    its exit status is this command's."""
    import subprocess

    bundle = args.bundle.resolve()
    if not (bundle / "feature_schema.json").exists():
        raise UsageError(f"{args.bundle} is not a bundle (no feature_schema.json in it).",
                         hint="Pass a run's bundle/ folder (or an unzipped bundle.zip).")
    if not (bundle / "predict.py").exists():
        raise UsageError(f"{args.bundle} has no predict.py: it was made by an older version of trainer-agent.",
                         hint="Re-run the notebook that made it (its bundle cells write predict.py), or serve it "
                              "and POST the rows to /predict.")
    if not args.input.is_file():
        raise UsageError(f"The input file {args.input} is not there.", hint="Check the path given with --input.")
    command = [sys.executable, str(bundle / "predict.py"), "--input", str(args.input.resolve()),
               "--output", str(args.output.resolve())]
    for flag, value in (("--column", args.column), ("--batch-size", args.batch_size)):
        if value is not None:
            command += [flag, str(value)]
    for column in args.keep or []:
        command += ["--keep", column]
    command += [flag for flag, on in (("--no-probabilities", args.no_probabilities), ("--force", args.force),
                                      ("--quiet", args.quiet)) if on]
    return subprocess.run(command, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``trainer-agent`` and ``python -m trainer_agent_lab``."""
    args = _parser().parse_args(argv)
    try:
        return {"run": _run, "plan": _plan, "serve": _serve, "predict": _predict}[args.command](args)
    except UsageError as exc:
        print(f"trainer-agent: {exc}", file=sys.stderr)
        return 2
    except TrainerAgentError as exc:
        print(f"trainer-agent: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
