"""A genre's arrangement profile, learned from a folder of its songs and saved as JSON (data, not code).

Per role: the GM programs it is played on (each song's vote split by its parts' notes), how often
the genre has it, its density; for drums the kit's lane use and hits per bar; for comping its
polyphony; for the genre the swing ratio of its 8th-note pairs, read only from songs whose own
beat grid is reliable (their onsets gather on beats; a recording with a nominal 120 qpm grid does
not). Decoding takes its instruments and feel from here, so a genre is what its folder says.
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..analysis.leadsheet import LeadSheet
from ..atomic import write_text
from ..config import RollConfig, to_dict
from ..errors import InputError
from ..representation.drums import LANES
from .encode import PITCHED_TARGETS, encode, lead_voices, source_on_beat
from .feel import RELIABLE_ON_BEAT, STRAIGHT, SWUNG_ABOVE, pair_phases, timing_spread

FORMAT, VERSION = "midistyle-genre-profile", 1
ROLE_ORDER = ("melody", *PITCHED_TARGETS, "drums")
MIN_PAIRS = 8  # 8th pairs a song needs before its swing ratio counts
SWING_SHARE = 0.4  # a genre swings when at least this share of its measured songs swing


def song_stats(lead: LeadSheet, cfg: RollConfig = RollConfig()) -> dict:
    """One song's measurements, as plain JSON values (what :func:`combine` pools)."""
    arr = encode(lead, cfg, straighten=False)  # densities as played
    n_bars = max(arr.n_bars, 1)
    stats: dict = {"source": lead.song.source, "bars": arr.n_bars, "roles": {}}
    for role in ROLE_ORDER:
        parts = [t for t in lead.part(role) if t.n_notes]
        if not parts:
            continue
        total = sum(t.n_notes for t in parts)
        # instruments: only tracks of their own vote (a line split out of a piano says nothing of
        # what plays the role in a band); programs stay empty when the role is only split out
        own = [t for t in parts if any(t is s for s in lead.song.tracks)]
        programs: dict[str, float] = {}
        own_notes = sum(o.n_notes for o in own)
        for t in own:
            programs[str(t.program)] = programs.get(str(t.program), 0.0) + t.n_notes / own_notes
        vel = np.concatenate([t.velocity for t in parts])
        entry = {"programs": programs, "notes_per_bar": total / n_bars, "velocity": float(np.median(vel))}
        if role in PITCHED_TARGETS:
            roll = arr.roll(role)
            sounding = roll[1].sum(axis=1)
            entry["polyphony"] = float(sounding[sounding > 0].mean()) if (sounding > 0).any() else 0.0
            pitches = np.concatenate([t.pitch for t in parts])
            entry["pitch"] = float(np.median(pitches))
        if role == "drums":
            hits = arr.drums.sum(axis=0)
            entry["lanes"] = {lane: int(n) for lane, n in zip(LANES, hits)}
            entry["hits_per_bar"] = float(hits.sum() / n_bars)
        stats["roles"][role] = entry
    stats["on_beat"] = source_on_beat(lead)
    phases = np.concatenate([pair_phases(v) for v in lead_voices(lead)] or [np.zeros(0)])
    stats["pairs"] = int(phases.size)
    stats["swing"] = float(np.median(phases)) if phases.size >= MIN_PAIRS else None
    own_swing = stats["swing"] if stats["swing"] is not None and stats["swing"] > SWUNG_ABOVE else STRAIGHT
    stats["timing"] = {role: timing_spread([t.start for t in lead.part(role) if t.n_notes], own_swing)
                       for role in ROLE_ORDER}
    return stats


@dataclasses.dataclass
class GenreProfile:
    """What a genre's songs do, role by role (see the module docstring). ``roles``: role ->
    ``{"share": songs with the role / songs, "programs": {program: share among the songs where a
    track of its own plays the role}, ...medians}``;
    ``swing``: median 8th-pair ratio of the songs with a reliable grid (None when none had one),
    with its quartiles and count in ``feel``."""

    genre: str
    songs: int
    roles: dict
    swing: float | None
    feel: dict
    roll: dict
    sources: list[str] = dataclasses.field(default_factory=list)

    def program(self, role: str, default: int | None = None) -> int | None:
        """The role's most used GM program (``default`` when the genre has no such part)."""
        programs = self.roles.get(role, {}).get("programs") or {}
        return int(max(programs, key=programs.get)) if programs else default

    def programs(self) -> dict[str, int]:
        """Role -> most used program, for every role the genre plays."""
        return {r: p for r in ROLE_ORDER if (p := self.program(r)) is not None}

    def has(self, role: str, at_least: float = 0.5) -> bool:
        """Whether at least ``at_least`` of the genre's songs play the role."""
        return self.roles.get(role, {}).get("share", 0.0) >= at_least

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "GenreProfile":
        if data.get("format") != FORMAT:
            raise ValueError(f"not a genre profile (format {data.get('format')!r}, expected {FORMAT!r})")
        if data.get("version", 0) > VERSION:
            raise ValueError(f"genre profile version {data['version']} is newer than this code's {VERSION}")
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


def combine(stats: list[dict], genre: str, cfg: RollConfig = RollConfig()) -> GenreProfile:
    """Pool per-song measurements (:func:`song_stats`) into a genre's profile."""
    n = len(stats)
    roles: dict = {}
    for role in ROLE_ORDER:
        with_role = [s["roles"][role] for s in stats if role in s["roles"]]
        if not with_role:
            continue
        programs: dict[str, float] = {}
        voters = [e for e in with_role if e["programs"]]
        for entry in voters:
            for p, w in entry["programs"].items():
                programs[p] = programs.get(p, 0.0) + w / len(voters)
        top = dict(sorted(programs.items(), key=lambda kv: -kv[1]))
        out = {"share": round(len(with_role) / n, 4), "songs": len(with_role), "own_tracks": len(voters),
               "programs": {p: round(w, 4) for p, w in top.items()}}
        for key in ("notes_per_bar", "velocity", "polyphony", "pitch", "hits_per_bar"):
            values = [e[key] for e in with_role if key in e]
            if values:
                out[key] = round(float(np.median(values)), 3)
        if role == "drums":
            lanes = np.sum([[e["lanes"][lane] for lane in LANES] for e in with_role], axis=0)
            out["lanes"] = {lane: round(float(x), 4) for lane, x in zip(LANES, lanes / max(lanes.sum(), 1))}
        roles[role] = out
    reliable = [s for s in stats if s["on_beat"] >= RELIABLE_ON_BEAT]
    ratios = [s["swing"] for s in reliable if s["swing"] is not None]
    feel = {"reliable_songs": len(reliable), "measured_songs": len(ratios)}
    if ratios:
        q1, q3 = np.percentile(ratios, [25, 75])
        feel.update(q1=round(float(q1), 4), q3=round(float(q3), 4),
                    swung_share=round(float(np.mean(np.asarray(ratios) > SWUNG_ABOVE)), 4))
        swung = [r for r in ratios if r > SWUNG_ABOVE]
        if swung:
            feel["swung_ratio"] = round(float(np.median(swung)), 4)
    # micro-timing: per role, the median over the reliable songs of their onsets' spread around the
    # grid (songs measured before it was kept have no "timing": an old profile plays on the grid)
    spreads = {role: [s["timing"][role] for s in reliable if s.get("timing", {}).get(role) is not None]
               for role in ROLE_ORDER}
    if any(spreads.values()):
        feel["timing"] = {role: round(float(np.median(v)), 4) for role, v in spreads.items() if v}
    swing = round(float(np.median(ratios)), 4) if ratios else None
    return GenreProfile(genre, n, roles, swing, feel, to_dict(cfg), sorted(s["source"] for s in stats))


def learn_profile(leads: Iterable[LeadSheet], genre: str, cfg: RollConfig = RollConfig()) -> GenreProfile:
    """A genre's profile from its songs read as lead sheets."""
    return combine([song_stats(lead, cfg) for lead in leads], genre, cfg)


def profile_folder(folder: str | os.PathLike, genre: str | None = None, *,
                   reader: Callable[[str], LeadSheet] | None = None, cfg: RollConfig = RollConfig(),
                   limit: int | None = None) -> tuple[GenreProfile, dict]:
    """Learn the profile of the MIDI files under ``folder`` (recursively, sorted; the first
    ``limit`` when given). ``reader`` turns a path into a lead sheet (default
    :func:`midistyle.analysis.leadsheet.read_lead_sheet`). Returns the profile and a report:
    files, songs used, skipped (path -> reason), seconds per song. InputError when none is usable."""
    from ..representation.files import MIDI_SUFFIXES

    if reader is None:
        from ..analysis.leadsheet import read_lead_sheet as reader  # type: ignore[attr-defined,no-redef]
    root = Path(folder)
    if not root.is_dir():
        raise InputError(root, "no such folder")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())
    files = files[:limit] if limit else files
    stats, skipped, t0 = [], {}, time.perf_counter()
    for path in files:
        try:
            stats.append(song_stats(reader(str(path)), cfg))
        except InputError as exc:
            skipped[str(path)] = exc.reason
    if not stats:
        raise InputError(root, f"no usable song among {len(files)} MIDI files")
    wall = time.perf_counter() - t0
    report = {"files": len(files), "songs": len(stats), "skipped": skipped,
              "seconds_per_song": round(wall / max(len(files), 1), 4)}
    return combine(stats, genre or root.name, cfg), report


def save_profile(profile: GenreProfile, path: str | os.PathLike) -> Path:
    """Write the profile as JSON, atomically."""
    write_text(path, json.dumps(profile.to_dict(), indent=1, sort_keys=True) + "\n")
    return Path(path)


def load_profile(path: str | os.PathLike) -> GenreProfile:
    """Read a profile written by :func:`save_profile` (InputError when it is not one)."""
    try:
        return GenreProfile.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(path, f"not a readable genre profile: {exc}") from None


def swing_or_straight(profile: GenreProfile) -> float:
    """The ratio the genre's new parts and melody are played at: the median of its swung songs
    when at least :data:`SWING_SHARE` of its measured songs swing, else straight (or its median
    when that is swung). A genre whose songs split between straight and swung medians out at a
    ratio nobody plays (about 0.57: neither straight 8ths nor triplets), so the feel is chosen
    between the two, by the data."""
    feel = profile.feel or {}
    if feel.get("swung_share", 0.0) >= SWING_SHARE and "swung_ratio" in feel:
        return float(feel["swung_ratio"])
    if profile.swing is None or profile.swing <= SWUNG_ABOVE:
        return STRAIGHT
    return profile.swing


def timing_spreads(profile: GenreProfile) -> dict[str, float]:
    """Role -> the onset spread around the grid (beats) the genre's new parts are played with; empty
    for a profile learned before micro-timing was measured (its parts stay on the grid)."""
    return {role: float(v) for role, v in ((profile.feel or {}).get("timing") or {}).items() if v}
