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


def plot_curves(metrics_path: str | os.PathLike, png_path: str | os.PathLike) -> Path | None:
    """Draw training losses (top) and validation metrics (bottom) against the step; None if no records."""
    records = read_metrics(metrics_path)
    if not records:
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    fig = Figure(figsize=(9, 6.5), tight_layout=True)
    for row, split in enumerate(("train", "val")):
        ax = fig.add_subplot(2, 1, row + 1)
        rows = [r for r in records if r.get("split") == split]
        keys = sorted({k for r in rows for k, v in r.items()
                       if isinstance(v, (int, float)) and k not in ("step", "epoch", "lr")})
        for key in keys:
            pts = [(r["step"], r[key]) for r in rows if isinstance(r.get(key), (int, float))]
            if pts:
                xs, ys = zip(*pts)
                ax.plot(xs, ys, marker="o" if split == "val" else None, markersize=3, linewidth=1, label=key)
        ax.set_title("training losses" if split == "train" else "validation")
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        if keys:
            ax.legend(fontsize=7, ncol=4)
    png_path = Path(png_path)
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return png_path
