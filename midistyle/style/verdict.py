"""The style judge's verdict on one converted song, for ``convert`` to print beside each output."""
from __future__ import annotations

import numpy as np

from ..errors import MidistyleError
from .judge import StyleJudge

_JUDGE: dict = {}


def style_verdict(song, to: str) -> dict | None:
    """The shipped style judge's verdict on a converted song: ``{"genre", "p", "to", "p_to",
    "matches"}`` (its top genre and probability, the target's probability, whether they agree);
    None when the judge does not know ``to`` or is not installed. It is the referee no shipped
    generator trains against, so an output it calls another genre did not reach ``to``."""
    if "judge" not in _JUDGE:
        try:
            _JUDGE["judge"] = StyleJudge.load()
        except MidistyleError:
            _JUDGE["judge"] = None
    judge = _JUDGE["judge"]
    if judge is None or to not in judge.genres:
        return None
    if song.n_notes(drums=False) == 0:
        return {"genre": None, "p": 0.0, "to": to, "p_to": 0.0, "matches": False}
    probs = judge.song_proba(song)
    top = int(np.argmax(probs))
    return {"genre": judge.genres[top], "p": float(probs[top]), "to": to,
            "p_to": float(probs[judge.genres.index(to)]), "matches": judge.genres[top] == to}


def describe_verdict(verdict: dict) -> str:
    """``style judge: jazz 81%`` or ``style judge: pop 59% (jazz 3%): not judged jazz``."""
    if verdict["genre"] is None:
        return f"style judge: no pitched notes, not judged {verdict['to']}"
    text = f"style judge: {verdict['genre']} {verdict['p']:.0%}"
    if verdict["matches"]:
        return text
    return f"{text} ({verdict['to']} {verdict['p_to']:.0%}): not judged {verdict['to']}"
