"""Songs <-> bar-level piano rolls. Loads no model code (tests check it)."""
from .midi_io import from_pretty_midi, read, to_midi_bytes, to_pretty_midi, write_midi
from .roll import Roll, bar_lines, grid_report, quantize, roll_to_notes, roll_to_song, song_to_roll
from .song import GENRES, Song, Track

__all__ = ["GENRES", "Roll", "Song", "Track", "bar_lines", "from_pretty_midi", "grid_report",
           "quantize", "read", "roll_to_notes", "roll_to_song", "song_to_roll", "to_midi_bytes",
           "to_pretty_midi", "write_midi"]
