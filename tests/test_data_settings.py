"""midistyle/data/settings.py: prepare's settings from a sources file and flags, checked against its signature."""
import inspect
import json

import pytest

from midistyle.config import RollConfig
from midistyle.data.corpus import prepare
from midistyle.data.settings import CALLER_ARGUMENTS, file_settings, prepare_settings
from midistyle.errors import InputError


def test_file_settings_come_from_prepares_signature():
    params = inspect.signature(prepare).parameters
    allowed = file_settings()
    assert allowed <= set(params) and not allowed & CALLER_ARGUMENTS
    assert CALLER_ARGUMENTS <= set(params)  # a renamed caller argument must not become a file setting
    # the set the CLI kept by hand before it was derived, and prepare's later content="arrangement"
    assert allowed == {"phrase_bars", "hop", "phrase_steps", "workers", "val_fraction", "shard_size", "time_limit",
                       "align_beats", "source_options", "content"}


def _sources_file(tmp_path, **settings):
    (tmp_path / "jazz").mkdir()
    path = tmp_path / "sources.json"
    path.write_text(json.dumps({"sources": {"jazz": [{"path": "jazz", "align_beats": "on"}]}, **settings}))
    return path


def test_flags_override_the_file_and_the_grid_becomes_a_roll_config(tmp_path):
    cfg_file = _sources_file(tmp_path, hop=2, phrase_bars=8, steps_per_beat=12, val_fraction=0.2)
    sources, cfg, settings = prepare_settings(["more"], "pop", config=cfg_file, phrase_bars=4, workers=None)
    assert sources == {"jazz": [str(tmp_path / "jazz")], "pop": ["more"]}
    assert cfg == RollConfig(steps_per_beat=12)
    assert settings == {"hop": 2, "phrase_bars": 4, "val_fraction": 0.2,
                        "source_options": {str(tmp_path / "jazz"): {"align_beats": "on"}}}
    _, _, flagged = prepare_settings(config=cfg_file, align_beats="off")
    assert flagged["align_beats"] == "off" and flagged["source_options"] == {str(tmp_path / "jazz"): {}}


def test_bad_settings_are_one_line_input_errors(tmp_path):
    with pytest.raises(InputError, match=r"unknown setting\(s\) \['bogus', 'progress'\]; valid: .*'phrase_bars'"):
        prepare_settings(config=_sources_file(tmp_path, bogus=1, progress=False))
    with pytest.raises(InputError, match="--genre NAME is required"):
        prepare_settings(["a"])
    with pytest.raises(InputError, match="nothing to prepare"):
        prepare_settings()
    with pytest.raises(InputError, match="steps_per_beat"):
        prepare_settings(["a"], "pop", steps_per_beat=0)
