"""`python -m sla_core evaluate | import | simulate | report | notify | sync | init | template | sample`: the command line of docs/design.md.

One table of subcommands, each a module with `HELP`, `add_arguments(parser)`
and `run(args) -> int`; only the chosen one is imported, so `--help` is quick.
Every failure a user can cause (a `UserError`: bad file, policy, mapping,
date or store; an unreadable path) ends in one line on stderr and exit code
2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Callable, Optional, Sequence

from sla_core.errors import UserError

# name -> (module, one-line help); the help is repeated here so that listing the commands imports none of them.
COMMANDS: dict[str, tuple[str, str]] = {
    "evaluate": ("sla_core.cli.evaluating", "evaluate every SLA clock and write one row per ticket and metric"),
    "import": ("sla_core.cli.importing", "load an export into the persistent store"),
    "simulate": ("sla_core.cli.simulating", "replay history under a candidate policy"),
    "report": ("sla_core.cli.reporting", "write the monthly review as one HTML file"),
    "notify": ("sla_core.cli.notifying", "message the policy's notify targets about clocks turning at_risk or breached"),
    "sync": ("sla_core.cli.syncing", "pull what changed in each configured tool's API into the store"),
    "init": ("sla_core.cli.initializing", "write a commented starter policy, a tool's mapping and sync.yaml"),
    "template": ("sla_core.cli.templating", "render a policy as the SLA agreement and triage checklist"),
    "sample": ("sla_core.cli.sampling", "write a synthetic ticket set (the bundled sample's generator)"),
}


def build_parser(chosen: Optional[str] = None) -> argparse.ArgumentParser:
    """The parser, with the arguments of `chosen` (every command's when None)."""
    parser = argparse.ArgumentParser(prog="python -m sla_core", description="SLA Board command line")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if chosen is None or name == chosen:
            module = importlib.import_module(module_name)
            module.add_arguments(command)
            command.set_defaults(run=module.run)
    return parser


def _is_user_error(err: BaseException) -> bool:
    if isinstance(err, (UserError, OSError)):
        return True
    import duckdb  # already loaded by any command that reached DuckDB

    return isinstance(err, duckdb.IOException)


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(chosen if chosen in COMMANDS else None).parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except Exception as err:  # noqa: BLE001 - sorted below: a user's error is one line, a bug a traceback
        if not _is_user_error(err):
            raise
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
