"""The whole CLI path a newcomer takes: prepare -> train (classifier, gan, cyclegan) -> convert."""
from __future__ import annotations

import json

import numpy as np
import pretty_midi
import pytest

from midistyle.representation import write_midi
from tests.midi_fixtures import song

pytestmark = pytest.mark.slow  # prepare -> train three tasks -> convert: the whole path, tens of seconds


def chords(seed: int) -> list:
    """Block triads, one per half note: a 'genre' of its own."""
    rng = np.random.default_rng(seed)
    notes = []
    for i in range(32):
        root = int(rng.integers(48, 60))
        notes += [(i * 2.0, i * 2.0 + 2.0, root + d, 80) for d in (0, 4, 7)]
    return notes


def scales(seed: int) -> list:
    """Single-line sixteenth-note runs: another 'genre'."""
    rng = np.random.default_rng(seed)
    steps = rng.integers(-2, 3, size=256)
    pitch = 66 + np.cumsum(steps) % 24
    return [(i * 0.25, i * 0.25 + 0.25, int(p), 90) for i, p in enumerate(pitch)]


@pytest.fixture(scope="module")
def corpus(cli, tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    for genre, make in (("blocks", chords), ("lines", scales)):
        folder = root / genre
        folder.mkdir()
        for k in range(12):
            write_midi(song([("Keys", 0, False, make(k))]), folder / f"{genre}{k}.mid")
    (root / "blocks" / "broken.mid").write_bytes(b"MThd\x00\x00")
    config = root / "sources.json"
    config.write_text(json.dumps({"blocks": ["blocks"], "lines": ["lines"]}))
    out = root / "prepared"
    res = cli("prepare", "--config", config, "-o", out, "--workers", 1)
    assert res.exit_code == 0, res.output
    assert "skipped 1" in res.output
    return out


def test_prepare_reports_and_indexes(corpus):
    index = json.loads((corpus / "index.json").read_text())
    assert index["genres"] == ["blocks", "lines"]
    assert sum(index["summary"]["phrases"]["blocks"].values()) == 12 * 4  # 16 bars = 4 phrases per file
    assert "broken.mid" in (corpus / "skipped.csv").read_text()


def test_train_classifier_gan_cyclegan_then_convert(cli, corpus, tmp_path):
    clf = tmp_path / "clf"
    res = cli("train", "classifier", "--data", corpus, "--genres", "blocks,lines", "--preset", "tiny",
              "--max-steps", 60, "-o", clf)
    assert res.exit_code == 0, res.output
    assert (clf / "best" / "model.safetensors").exists() and (clf / "loss_curve.png").exists()
    assert "accuracy" in res.output

    gan = tmp_path / "gan"
    res = cli("train", "gan", "--data", corpus, "--source", "blocks", "--target", "lines", "--preset", "tiny",
              "--max-steps", 8, "-o", gan)
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in (gan / "metrics.jsonl").read_text().splitlines()]
    assert lines[-1]["step"] == 8

    cyc = tmp_path / "cyc"
    res = cli("train", "cyclegan", "--data", corpus, "--a", "blocks", "--b", "rest", "--preset", "tiny",
              "--max-steps", 4, "-o", cyc)
    assert res.exit_code == 0, res.output
    meta = json.loads((cyc / "best" / "config.json").read_text())
    assert meta["source"] == ["blocks"] and meta["target"] == ["lines"]

    src = tmp_path / "in.mid"
    write_midi(song([("Keys", 0, False, chords(99)), ("Kit", 0, True, [(0, 0.5, 36, 100)])],
                    tempos=((0.0, 96.0),), sigs=((0.0, 3, 4),)), src)
    out = tmp_path / "out.mid"
    res = cli("convert", src, "--to", "lines", "--model", gan / "best", "-o", out, "--from", "blocks")
    assert res.exit_code == 0, res.output
    pm = pretty_midi.PrettyMIDI(str(out))
    assert [(t.numerator, t.denominator) for t in pm.time_signature_changes] == [(3, 4)]
    assert pm.get_tempo_changes()[1][0] == pytest.approx(96.0)
    assert [i.is_drum for i in pm.instruments] == [False, True]


def test_train_rejects_unknown_genre(cli, corpus, tmp_path):
    res = cli("train", "classifier", "--data", corpus, "--genres", "blocks,polka", "--preset", "tiny",
              "-o", tmp_path / "x")
    assert res.exit_code in (2, 3) and "polka" in res.output and "Traceback" not in res.output
