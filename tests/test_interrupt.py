"""Ctrl-C on a folder convert stops at once, writes nothing half-done, says how far it got."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.corpus_fixtures import midi_bytes

from midistyle.representation import read

pytestmark = pytest.mark.slow  # subprocesses, models or training runs: seconds each

N_FILES = 60


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("songs")
    for i in range(N_FILES):  # 32 bars each: long enough that the batch takes a while
        (root / f"song{i:02d}.mid").write_bytes(midi_bytes(128, pitches=(60 + i % 5, 64, 67, 71)))
    return root


def _ctrl_c_convert(src: Path, out: Path):
    """Start `midistyle convert SRC --to jazz -o OUT` as a terminal would, press Ctrl-C once the
    first file is written; returns (return code, stderr, seconds from Ctrl-C to exit)."""
    code = ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "from midistyle.cli import main\n"
            f"main(['convert', {str(src)!r}, '--to', 'jazz', '-o', {str(out)!r}, '--workers', '2'])\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).parents[1]),
                                                                     os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while not list(out.glob("*.mid")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, f"ended before Ctrl-C: {proc.communicate()}"
    t0 = time.time()
    os.killpg(proc.pid, signal.SIGINT)  # the terminal sends it to the whole process group
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, err, time.time() - t0


def test_ctrl_c_on_a_folder_convert_stops_within_seconds(folder, tmp_path):
    out = tmp_path / "out"
    rc, err, waited = _ctrl_c_convert(folder, out)
    written = sorted(out.glob("*.mid"))
    # before: it went on converting every queued file, then printed "Interrupted."
    assert waited < 10, f"took {waited:.1f} s to stop"
    assert len(written) < N_FILES
    assert rc == 130
    last = err.strip().splitlines()[-1]
    assert last.startswith("Interrupted: ") and f"of {N_FILES} files done" in last and "again" in last, last
    for path in written:  # nothing half-written: every output is a whole MIDI file
        assert read(path).n_notes() > 0
    leftovers = [p for p in out.iterdir() if p.name.endswith(".part")]
    assert len(leftovers) <= 2  # at most a temp file per stopped worker, removed by the re-run


def test_ctrl_c_on_prepare_says_how_far_it_got_and_that_a_rerun_resumes(tmp_path):
    from tests.corpus_fixtures import abc_tune

    from midistyle.data.corpus import prepare

    src = tmp_path / "src"
    src.mkdir()
    notes = ["CDEF|GABc|cBAG|FEDC|", "EFGA|Bcde|edcB|AGFE|"]
    (src / "many.abc").write_text("".join(abc_tune(i + 1, f"T{i}", notes[i % 2] * (1 + i % 4)) for i in range(300)))
    out = tmp_path / "out"
    code = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "from midistyle.data.corpus import prepare\n"
            f"try:\n    prepare({{'folk': [{str(src)!r}]}}, {str(out)!r}, workers=1, progress=False)\n"
            "except KeyboardInterrupt as exc:\n    print(exc, file=sys.stderr); sys.exit(130)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while len(list(out.glob("cache/*/*/*.npz"))) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert proc.poll() is None, "finished before it could be interrupted"
    t0 = time.time()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert time.time() - t0 < 10 and proc.returncode == 130
    assert "of 300 pieces" in err and "again" in err, err
    report = prepare({"folk": [src]}, out, workers=1, progress=False)
    assert report.cached >= 2


def test_ctrl_c_on_evaluate_says_how_far_it_got_and_writes_nothing(tmp_path, monkeypatch):
    from midistyle.errors import Interrupted
    from midistyle.evaluate import report as R

    src, conv = tmp_path / "in", tmp_path / "conv"
    src.mkdir()
    conv.mkdir()
    for i in range(3):
        (src / f"s{i}.mid").write_bytes(midi_bytes(16, pitches=(60 + i, 64)))
        (conv / f"s{i}.jazz.mid").write_bytes(midi_bytes(16, pitches=(62 + i, 65)))
    scored = R.score_song

    def score_then_ctrl_c(*a, **k):
        if score_then_ctrl_c.calls == 2:
            raise KeyboardInterrupt
        score_then_ctrl_c.calls += 1
        return scored(*a, **k)
    score_then_ctrl_c.calls = 0
    monkeypatch.setattr(R, "score_song", score_then_ctrl_c)
    with pytest.raises(Interrupted, match="2 of 3 songs done.*again"):
        R.evaluate(src, "jazz", classifier=False, style_judge=False, converted_dir=conv, out_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()
