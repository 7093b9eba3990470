"""The judges' verdicts on one converted song, for ``convert`` to print beside each output: the style
judge (pitched notes) always, the arrangement judge (drums, feel, bass, harmony colour, instruments)
for an arranged output."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import MidistyleError
from .judge import SHIPPED, SHIPPED_ARRANGEMENT, StyleJudge

_JUDGES: dict[Path, StyleJudge | None] = {}  # each judge is loaded once per process
LABELS = {"style": "style judge", "arrangement": "arrangement judge"}
ASIDE_LABEL = "style judge (pitched notes)"  # the style judge beside the arrangement judge


def _shipped(path: Path) -> StyleJudge | None:
    if path not in _JUDGES:
        try:
            _JUDGES[path] = StyleJudge.load(path)
        except MidistyleError:
            _JUDGES[path] = None
    return _JUDGES[path]


def _verdict(which: str, song, to: str, heard: int) -> dict | None:
    judge = _shipped(SHIPPED if which == "style" else SHIPPED_ARRANGEMENT)
    if judge is None or to not in judge.genres:
        return None
    if heard == 0:
        return {"judge": which, "genre": None, "p": 0.0, "to": to, "p_to": 0.0, "matches": False}
    probs = judge.song_proba(song, prepared=True)  # a converter's output is on its own beats: as written
    top = int(np.argmax(probs))
    return {"judge": which, "genre": judge.genres[top], "p": float(probs[top]), "to": to,
            "p_to": float(probs[judge.genres.index(to)]), "matches": judge.genres[top] == to}


def style_verdict(song, to: str) -> dict | None:
    """The shipped style judge's verdict on a converted song: ``{"judge": "style", "genre", "p",
    "to", "p_to", "matches"}`` (its top genre and probability, the target's probability, whether
    they agree); None when the judge does not know ``to`` or is not installed. It is the referee no
    shipped generator trains against, so an output it calls another genre did not reach ``to``."""
    return _verdict("style", song, to, song.n_notes(drums=False))


def arrangement_verdict(song, to: str) -> dict | None:
    """The shipped arrangement judge's verdict, as :func:`style_verdict` (``"judge": "arrangement"``):
    it reads what an arrangement changes, drums included. The song is judged as written, not
    re-timed to tracked beats as ``evaluate`` may: a converter writes its output on its own tempo
    map, where tracking finds the same beats (checked on 25 arrangements) at ~5 s of librosa."""
    return _verdict("arrangement", song, to, song.n_notes())


def describe_verdict(verdict: dict, *, aside: bool = False) -> str:
    """``style judge: jazz 81%``, ``arrangement judge: pop 59% (jazz 3%): not judged jazz``;
    ``aside``: the style judge as a second opinion beside the arrangement judge
    (``style judge (pitched notes): pop 42% (jazz 17%)``, no "not judged")."""
    label = ASIDE_LABEL if aside else LABELS[verdict.get("judge", "style")]
    to = verdict["to"]
    if verdict["genre"] is None:
        heard = "notes" if verdict.get("judge") == "arrangement" else "pitched notes"
        return f"{label}: no {heard}" + ("" if aside else f", not judged {to}")
    text = f"{label}: {verdict['genre']} {verdict['p']:.0%}"
    if verdict["matches"]:
        return text
    return f"{text} ({to} {verdict['p_to']:.0%})" + ("" if aside else f": not judged {to}")


def output_verdicts(song, to: str, *, arranged: bool) -> dict:
    """Both judges on one output: ``{"style": style_verdict, "arrangement": arrangement_verdict}``
    (the latter None unless ``arranged``: an edit model leaves the band as it was)."""
    return {"style": style_verdict(song, to), "arrangement": arrangement_verdict(song, to) if arranged else None}


def deciding(verdicts: dict) -> dict | None:
    """The verdict a warning follows: the arrangement judge's when it judged, else the style judge's."""
    return verdicts["arrangement"] or verdicts["style"]


def describe_verdicts(verdicts: dict, to: str, *, arranged: bool) -> list[str]:
    """The lines ``convert`` prints: the arrangement judge, then the style judge as an aside; the
    style judge alone for an edit model, or for an arrangement to a genre the arrangement judge
    does not know (said so); nothing when no judge knows ``to``."""
    arrangement, style = verdicts["arrangement"], verdicts["style"]
    if arrangement is not None:
        return [describe_verdict(arrangement)] + ([describe_verdict(style, aside=True)] if style else [])
    if style is None:
        return []
    return [describe_verdict(style) + (f" (the arrangement judge knows no {to})" if arranged else "")]
