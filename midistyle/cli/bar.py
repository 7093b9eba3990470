"""``bar``: the ship bar's verdict on evaluate reports (see :mod:`midistyle.evaluate.ship_bar`)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import ExitCode
from .common import check_output


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


@click.command("bar")
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the results here as JSON (a list).")
@click.option("--force", is_flag=True, help="Replace an existing output.")
def bar(reports, output, force):
    """The ship bar's verdict on evaluate REPORTS (folders or report.json files), one per target: outputs
    judged the target by the style judge >= 0.85 x its recognition of real target music, onset F1 >= 0.4,
    style profile nearer the target. Exit 1 when a report misses the bar (or cannot tell)."""
    import json

    from ..atomic import write_text
    from ..evaluate.ship_bar import read_report, ship_bar
    if output is not None:
        check_output(output, list(reports), force)
    results = [ship_bar(read_report(r)) for r in reports]
    for path, r in zip(reports, results):
        d = r["profile_distance"]
        profile = "-" if None in (d.get("sources"), d.get("outputs")) else f"{d['sources']:.2f} -> {d['outputs']:.2f}"
        f1 = "-" if r["onset_f1"] is None else f"{r['onset_f1']:.2f}"
        click.echo(f"{r['to']}: {r['verdict']}  (outputs called {r['to']} {_pct(r['outputs'])}, real "
                   f"{_pct(r['real'])}; onset F1 {f1}; profile distance {profile}; {path})")
    if output is not None:
        write_text(output, json.dumps(results, indent=1, allow_nan=False) + "\n")
        click.echo(f"wrote {output}")
    if any(r["verdict"] != "PASS" for r in results):
        sys.exit(ExitCode.FAILED)
