"""Arrangement-level conversion: keep a song's melody and harmony, re-make its band in a genre.

The song is read as a lead sheet (:mod:`midistyle.analysis`: roles, chords, key); its bass,
comping and drums are made new in the target genre, from the genre's bank of real bars
(:mod:`midistyle.arrangement.retrieve`) or by a trained arranger checkpoint
(:mod:`midistyle.kinds.arranger`), then played in the genre's instruments and feel
(:mod:`midistyle.arrangement.profile`). What a genre plays is what its assets say: a folder
``<assets>/<genre>/`` with ``profile.json`` and a bank, written from a prepared arrangement corpus
(``midistyle train bank``), with ``arrangement.json`` naming the genres. The package ships one
for its five genres (``midistyle/pretrained/arrangement``).
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from .arrangement.assets import assets_genres, is_assets
from .errors import ModelError
from .representation.roll import bar_lines
from .representation.song import Song

SHIPPED_ASSETS = Path(__file__).parent / "pretrained" / "arrangement"


@dataclasses.dataclass
class ArrangementConverter:
    """Arranges songs in one genre; the same ``convert_song`` as :class:`midistyle.transfer.Converter`.

    ``assets``: the assets folder; ``target``: the genre; ``keep``: what stays as the source had
    it (see :data:`midistyle.arrangement.arrange.KEEPABLE`); ``model``: an arranger checkpoint
    making the parts instead of the bank.
    """

    assets: Path
    target: str
    keep: tuple[str, ...] = ()
    model: Path | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        from .arrangement.profile import load_profile
        from .arrangement.retrieve import load_bank

        genres = assets_genres(self.assets)
        if self.target not in genres:
            raise ModelError(self.assets, f"no arrangement of genre {self.target!r} here; it has {', '.join(genres)}")
        folder = Path(self.assets) / self.target
        self.profile = load_profile(folder / "profile.json")
        self.bank = load_bank(folder)
        self.cfg = self.bank.cfg

    arranges = True  # (class attribute) what convert and evaluate ask before judging the arrangement

    @property
    def uses_torch(self) -> bool:
        """Whether converting runs torch (an arranger checkpoint); the bank is numpy only."""
        return self.model is not None

    @classmethod
    def load(cls, to: str, model: str | os.PathLike | None = None, *, keep: tuple[str, ...] = (),
             device: str | None = None) -> "ArrangementConverter":
        """The shipped assets for ``to``; ``model`` an assets folder, or an arranger checkpoint
        whose run folder holds assets (its ``assets/``; else the shipped ones give the feel)."""
        keep, device = tuple(keep), device or "cpu"
        if model is None or is_assets(model):
            return cls(SHIPPED_ASSETS if model is None else Path(model), to, keep, device=device)
        model = Path(model)
        assets = next((p for p in (model / "assets", model.parent / "assets") if is_assets(p)), SHIPPED_ASSETS)
        return cls(assets, to, keep, model=model, device=device)

    def convert_song(self, song: Song, *, seed: int = 0, threshold: float = 0.5, from_genre: str | None = None,
                     align_beats: str = "auto") -> tuple[Song, dict]:
        """Arrange a whole song in the target genre. Returns the new song and an info dict
        (bars, notes in and out, what the alignment found, the roles read)."""
        from .analysis.leadsheet import read_lead_sheet
        from .arrangement.arrange import arrange_by_retrieval, finish
        from .representation.beats import aligned_song

        song, aligned = aligned_song(song, align_beats, self.cfg.steps_per_beat)
        lead = read_lead_sheet(song)
        if self.model is None:
            out = arrange_by_retrieval(lead, self.bank, self.profile, keep=self.keep, seed=seed)
        else:
            from .kinds.arranger import arrange_parts

            parts, roll = arrange_parts(lead, self.target, self.model, threshold=threshold, device=self.device)
            out = finish(lead, parts, roll, self.profile, keep=self.keep, seed=seed)
        info: dict[str, Any] = {"source": song.source, "to": self.target, "notes_in": song.n_notes(),
                                "notes_out": out.n_notes(), "bars": len(bar_lines(song)) - 1,
                                "roles": ", ".join(sorted({r for r in lead.track_roles}))}
        if aligned:
            info["aligned"] = aligned
        if from_genre is not None:
            info["from"] = from_genre
        return out, info
