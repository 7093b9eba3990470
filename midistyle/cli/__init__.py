"""The ``midistyle`` command: the click group and its error handling; one module per command.

Each command parses its options, calls the library and prints. Heavy modules (torch, music21,
matplotlib) are imported inside the commands that need them, so ``midistyle --help`` stays fast.
Exit codes: :class:`midistyle.errors.ExitCode` (the table in ``midistyle/errors.py``).
"""
from __future__ import annotations

import click

from .. import __version__
from ..errors import ExitCode, MidistyleError, printable


class _Group(click.Group):
    """Runs a command; a MidistyleError becomes ``Error: <file>: <reason>`` and its exit code."""

    def parse_args(self, ctx, args):
        from .common import legacy_align_args
        return super().parse_args(ctx, legacy_align_args(list(args)))

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MidistyleError as exc:
            click.echo(f"Error: {printable(str(exc), limit=400)}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt as exc:  # a batch's Interrupted says how far it got and how to go on
            click.echo(f"Interrupted: {exc}." if str(exc) else "Interrupted.", err=True)
            ctx.exit(ExitCode.INTERRUPTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, package_name="midistyle")
def main():
    """midistyle: symbolic-MIDI genre style transfer."""


from . import bar, classify, compare, convert, evaluate, inspect, judge, prepare, render, train  # noqa: E402

for _command in (inspect.inspect, inspect.roll, inspect.quantize, prepare.prepare, prepare.subset,
                 convert.convert, render.render, train.train, evaluate.evaluate_cmd, classify.classify_cmd,
                 compare.compare_cmd, judge.judge, bar.bar):
    main.add_command(_command)
