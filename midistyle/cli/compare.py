"""``compare``: draw a song above its conversion (or beside it, role by role)."""
from __future__ import annotations

from pathlib import Path

import click

from .common import check_output, fitted_steps_option, parse_bars, plural, roll_config


@click.command("compare")
@click.argument("a", type=click.Path(path_type=Path))
@click.argument("b", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="PNG to write.")
@click.option("--bars", help="Bars A:B of the first song to draw (0-based, end exclusive), e.g. 0:8.")
@click.option("--roles", is_flag=True,
              help="One lane per role (melody, bass, comp, drums, as `inspect --roles` reads them), A beside B, "
                   "each lane naming its instruments.")
@fitted_steps_option
@click.option("--force", is_flag=True, help="Replace an existing output.")
def compare_cmd(a, b, output, bars, roles, steps_per_beat, force):
    """Draw A above B (e.g. a song and its conversion), aligned bar by bar on A's bars."""
    if roles:
        from ..evaluate.role_plots import compare_roles as compare
    else:
        from ..evaluate.report import compare
    check_output(output, [a, b], force)
    cfg = None if steps_per_beat is None else roll_config(steps_per_beat)
    info = compare(a, b, output, bars=parse_bars(bars), cfg=cfg)
    first, end = info["drawn"]
    shown = f"bars {first}:{end} of {info['bars']}" if end - first < info["bars"] else plural(info["bars"], "bar")
    lanes = f"; lanes: {', '.join(info['lanes'])}" if roles else ""
    click.echo(f"wrote {output} ({shown}, {info['steps_per_beat']} steps per quarter{lanes})")
