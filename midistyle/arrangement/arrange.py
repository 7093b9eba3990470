"""From parts to a song in the genre: a profile's instruments, kit and feel around the kept melody.

Whatever made the parts (a retrieval bank, a trained arranger), :func:`finish` writes them the
same way: each role in the genre's most used GM program, the genre's 8th-note swing on the new
parts and on the melody, and no part the genre does not play (a role fewer than half its songs
have). Numpy only.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ..analysis.leadsheet import LeadSheet
from ..config import RollConfig
from ..representation.song import Song
from .decode import decode
from .encode import PITCHED_TARGETS, encode, lead_programs
from .feel import STRAIGHT
from .profile import GenreProfile, swing_or_straight, timing_spreads
from .retrieve import Bank, retrieve

KEEPABLE = ("melody", "bass", "comp", "drums", "instruments", "feel")
"""What ``keep`` may name: a role of the source kept as it is, its instruments, or its feel."""
TIME_MELODY = True  # whether the kept melody is played with the genre's timing spread too (measured: see docs)


def finish(lead: LeadSheet, parts: Mapping[str, np.ndarray], cfg: RollConfig,
           profile: GenreProfile | None = None, *, keep: tuple[str, ...] = (), seed: int = 0) -> Song:
    """The song with ``parts`` (role -> tensor, see :func:`~midistyle.arrangement.decode.decode`)
    played as ``profile``'s genre plays: its programs, its swing, only the roles it has.

    ``keep``: names from :data:`KEEPABLE`: roles kept from the source, ``instruments`` (every
    part in the source's programs for its role), ``feel`` (no swing and no timing spread added).
    ``seed``: the draw of the new parts' timing spread (same seed, same song).
    """
    unknown = sorted(set(keep) - set(KEEPABLE))
    if unknown:
        raise ValueError(f"cannot keep {', '.join(unknown)}; valid: {', '.join(KEEPABLE)}")
    parts = dict(parts)
    programs: dict[str, int] = {}
    swing, timing = STRAIGHT, {}
    if profile is not None:
        programs = profile.programs()
        swing, timing = swing_or_straight(profile), timing_spreads(profile)
        for role in (*PITCHED_TARGETS, "drums"):
            if not profile.has(role):
                parts.pop(role, None)
    if "instruments" in keep:
        programs = {**programs, **lead_programs(lead)}  # the source's programs win
    if "feel" in keep:
        swing, timing = STRAIGHT, {}
    roles = tuple(r for r in keep if r in ("bass", "comp", "drums"))
    return decode(lead, parts, cfg, programs=programs, swing=swing, swing_melody=swing != STRAIGHT, keep=roles,
                  timing=timing, timing_melody=TIME_MELODY, seed=seed)


def arrange_by_retrieval(lead: LeadSheet, bank: Bank, profile: GenreProfile | None = None, *,
                         keep: tuple[str, ...] = (), seed: int = 0) -> Song:
    """The lead sheet arranged from a genre's bank of real bars (:mod:`~midistyle.arrangement.retrieve`)."""
    arr = encode(lead, bank.cfg)
    plays = [r for r in (*PITCHED_TARGETS, "drums") if profile is not None and profile.has(r)]
    return finish(lead, retrieve(arr, bank, require=plays, seed=seed), bank.cfg, profile, keep=keep,
                  seed=seed)
