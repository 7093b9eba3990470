"""Shared fixtures: the CLI run in process, and small MIDI files and checkpoints built in code.

Helpers that are plain functions (song builders, corpora, fuzz cases) live in the modules of this
package (``tests.midi_fixtures``, ``tests.corpus_fixtures``, ``tests.fuzz_corpus``).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.midi_fixtures import rich_midi_bytes


@pytest.fixture(scope="session")
def cli():
    """``cli("inspect", path, ...)``: run the midistyle command in process, arguments str()-ed; a click Result."""
    from click.testing import CliRunner

    from midistyle.cli import main

    return lambda *args: CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def rich_midi(tmp_path) -> Path:
    """A file of ``rich_song()``: 4/4 -> 3/4 -> 6/8 with a pickup, tempo changes, ties and drums."""
    path = tmp_path / "rich.mid"
    path.write_bytes(rich_midi_bytes())
    return path


@pytest.fixture(scope="session")
def tiny_cyclegan(tmp_path_factory) -> Path:
    """An untrained pop <-> jazz CycleGAN checkpoint (4 base channels, 1 residual block), seed 0."""
    import torch

    from midistyle.config import ModelConfig, RollConfig
    from midistyle.models.checkpoint import save_checkpoint
    from midistyle.models.registry import build_model

    torch.manual_seed(0)
    nets = {n: build_model(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1)) for n in "GF"}
    path = tmp_path_factory.mktemp("model") / "pop2jazz"
    save_checkpoint(path, nets, {"kind": "cyclegan", "roll": RollConfig(), "source": ["pop"], "target": ["jazz"],
                                 "genres": ["pop", "jazz"], "phrase_steps": 64})
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """An untrained pop -> jazz GAN checkpoint (4 base channels, 1 residual block), seed 0."""
    import torch

    from midistyle.config import ModelConfig, RollConfig
    from midistyle.models.checkpoint import save_checkpoint
    from midistyle.models.registry import build_model

    torch.manual_seed(0)
    g = build_model(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1))
    path = tmp_path_factory.mktemp("model") / "tiny"
    save_checkpoint(path, {"G": g}, {"kind": "gan", "roll": RollConfig(), "source": ["pop"], "target": ["jazz"],
                                     "genres": ["pop", "jazz"], "phrase_steps": 64})
    return path
