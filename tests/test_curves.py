"""loss_curve.png: steps are whole numbers on its axis."""
from __future__ import annotations

import numpy as np

from midistyle.training.curves import loss_figure


def test_a_short_run_has_whole_step_ticks():
    """A 3-step run's loss curve had ticks at 1.25, 1.5, 1.75..."""
    records = [{"step": s, "split": "train", "loss": 1.0 / s} for s in (1, 2, 3)]
    records.append({"step": 3, "split": "val", "accuracy": 0.5})
    fig = loss_figure(records)
    fig.canvas.draw()
    ax = fig.axes[-1]
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    assert len(ticks) >= 2 and np.allclose(ticks, np.round(ticks))
