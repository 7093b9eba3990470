"""Loss curves: metrics.jsonl -> PNG (matplotlib with the Agg backend, imported only here and lazily)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from midistyle.atomic import atomic_path


def read_metrics(path: str | os.PathLike) -> list[dict]:
    """The records of a metrics.jsonl file (a torn last line is skipped)."""
    records = []
    path = Path(path)
    if not path.is_file():
        return records
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


# (axis label, does a key belong here?) in drawing order: quantities of one scale share an axis
_SCALES = (
    ("loss", lambda k: not k.startswith(("density", "accuracy", "kept", "cycle_recall"))),
    ("share of notes or phrases (0-1)", lambda k: k.startswith(("accuracy", "kept", "cycle_recall"))),
    ("note density (share of cells on)", lambda k: k.startswith("density")),
)


def curve_panels(records: list[dict]) -> list[tuple[str, str, list[str]]]:
    """(split, axis label, keys) for every split and scale that has numbers, in drawing order."""
    panels = []
    for split in ("train", "val"):
        keys = sorted({k for r in records if r.get("split") == split for k, v in r.items()
                       if isinstance(v, (int, float)) and k not in ("step", "epoch", "lr")})
        for label, belongs in _SCALES:
            mine = [k for k in keys if belongs(k)]
            if mine:
                panels.append((split, label, mine))
    return panels


def plot_curves(metrics_path: str | os.PathLike, png_path: str | os.PathLike) -> Path | None:
    """Draw training losses and validation metrics against the step; None if no records.

    One panel per split and scale (losses, shares in 0-1, note densities), each y axis labelled;
    a run without validation data gets no empty validation panel.
    """
    fig = loss_figure(read_metrics(metrics_path))
    if fig is None:
        return None
    png_path = Path(png_path)
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return png_path


def loss_figure(records: list[dict]):
    """The curves' matplotlib Figure, or None without records."""
    panels = curve_panels(records)
    if not panels:
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(9, 1.2 + 2.6 * len(panels)), tight_layout=True)
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (split, label, keys) in zip(axes, panels):
        rows = [r for r in records if r.get("split") == split]
        for key in keys:
            pts = [(r["step"], r[key]) for r in rows if isinstance(r.get(key), (int, float))]
            if pts:
                xs, ys = zip(*pts)
                ax.plot(xs, ys, marker="o" if split == "val" else None, markersize=3, linewidth=1, label=key)
        ax.set_title("training" if split == "train" else "validation", fontsize="medium", loc="left")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=4)
    axes[-1].set_xlabel("step")
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole: no tick at 2.5
    if not any(split == "val" for split, _, _ in panels):
        fig.suptitle("no validation data in this run: training losses only", fontsize="small")
    return fig
