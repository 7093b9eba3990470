"""The ship bar: does a generator transfer well enough to ship? A verdict per evaluate report.

A target genre passes when, by the style judge (which no generator trained against):

- **genre**: the share of outputs it calls the target is at least ``GENRE_BAR`` (0.85) times its
  recognition of real validation music of the target (the report's ``--target-data`` songs);
- **onset F1**: the outputs keep the song, onset F1 to their sources at least ``F1_BAR`` (0.4);
- **profile**: the outputs' style profile (the mean distance of the judge's feature groups to real
  target music) lies nearer the target than the sources' did. The judge is linear in its
  features: outputs pushed far past real target music along the features it weighs can win its
  verdict while sounding less like the target than the sources.

A report without the judge's rates, real target songs or content numbers gets the verdict "n/a".
Pure dict work on the report's JSON (:data:`midistyle.evaluate.report.REPORT_JSON`).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import InputError

GENRE_BAR, F1_BAR = 0.85, 0.4
CHECKS = ("genre", "onset F1", "profile farther from the target")  # what a failure of each part is called


def bar_numbers(report: dict) -> dict:
    """The numbers of one evaluate report that the bar reads (None where the report has none)."""
    style = report.get("style_judge") or {}
    rate = style.get("target_rate") or {}
    prof = style.get("profile") or {}
    groups = prof.get("groups") or {}
    return {"songs": style.get("songs"), "inputs": rate.get("inputs"), "outputs": rate.get("outputs"),
            "real": rate.get("target_real"), "real_on_grid": rate.get("target_real_on_grid"),
            "onset_f1": (report.get("content") or {}).get("model", {}).get("onset_f1"),
            "cnn_outputs": ((report.get("strength") or {}).get("model") or {}).get("target_rate_songs"),
            "empty_outputs": style.get("empty_outputs"),
            "moved_toward": sorted(g for g, v in groups.items() if v.get("moved") == "toward"),
            "profile_distance": prof.get("distance") or {}}


def complete(numbers: dict) -> bool:
    """Does the report hold what the bar needs (judge rates of outputs and real music, onset F1)?"""
    return None not in (numbers.get("outputs"), numbers.get("real"), numbers.get("onset_f1"))


def checks(numbers: dict) -> dict[str, bool]:
    """Each part of the bar (:data:`CHECKS`) -> passed, for complete ``numbers``. A report without a
    style profile passes the profile part (it cannot tell)."""
    d = numbers.get("profile_distance") or {}
    return {"genre": numbers["outputs"] >= GENRE_BAR * numbers["real"],
            "onset F1": numbers["onset_f1"] >= F1_BAR,
            "profile farther from the target": None in (d.get("sources"), d.get("outputs"))
            or d["outputs"] < d["sources"]}


def verdict(numbers: dict) -> str:
    """``"PASS"``, ``"fail (<the parts failed>)"`` or ``"n/a"`` (an incomplete report)."""
    if not complete(numbers):
        return "n/a"
    failed = [name for name, ok in checks(numbers).items() if not ok]
    return "fail (" + ", ".join(failed) + ")" if failed else "PASS"


def keeps_song_and_moves(numbers: dict) -> bool:
    """The content and profile parts of the bar, and more outputs than sources called the target:
    what a checkpoint must meet to be considered at all."""
    if not complete(numbers) or numbers["outputs"] <= (numbers["inputs"] or 0):
        return False
    c = checks(numbers)
    return c["onset F1"] and c["profile farther from the target"]


def ship_bar(report: dict) -> dict:
    """The bar's result for one evaluate report: its target ``to``, the numbers read, ``ratio``
    (outputs over real recognition), ``checks`` (None for an incomplete report) and ``verdict``."""
    n = bar_numbers(report)
    ok = complete(n)
    return {"to": report.get("to"), "model": report.get("model"), **n,
            "ratio": n["outputs"] / n["real"] if ok and n["real"] else None,
            "bar": {"genre": GENRE_BAR, "onset_f1": F1_BAR},
            "checks": checks(n) if ok else None, "verdict": verdict(n)}


def read_report(path: str | os.PathLike) -> dict:
    """An evaluate report from its folder or its ``report.json``; InputError when unreadable."""
    from .report import REPORT_JSON

    path = Path(path)
    file = path / REPORT_JSON if path.is_dir() else path
    try:
        report = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(file, f"not a readable evaluate report ({type(exc).__name__}: {exc})") from None
    if not isinstance(report, dict) or "to" not in report:
        raise InputError(file, "not an evaluate report (no target genre 'to')")
    return report


__all__ = ["CHECKS", "F1_BAR", "GENRE_BAR", "bar_numbers", "checks", "complete", "keeps_song_and_moves",
           "read_report", "ship_bar", "verdict"]
