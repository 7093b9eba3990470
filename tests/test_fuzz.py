"""Malformed input never crashes midistyle (issue 8).

Over a thousand generated files (tests/fuzz_corpus.py) go through ``read()`` in a child process
(a crash or a hang names the file instead of killing the run); a subset covering every category
goes through every CLI command that exists. Each must give a valid result or one line of error
with its exit code, leave the input as it was, and leave no partial output behind. Commands not
in the CLI yet are skipped by name.
"""
from __future__ import annotations

import errno
import json
import os
import pathlib
import selectors
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from tests import fuzz_corpus
from tests.fuzz_corpus import FuzzCase
from midistyle.cli import main
from midistyle.representation import read

SEED = 8
CASES = fuzz_corpus.cases(SEED)
SUBSET = fuzz_corpus.representative(CASES, per_category=2, seed=SEED)
REPO = Path(__file__).resolve().parents[1]
PER_FILE_TIMEOUT = 30.0  # far above any real parse (the slowest fuzz file reads in ~0.5 s)

# (pattern in the reason) that specific cases must give: absurd values get a clear reason
EXPECTED_REASONS = {
    "header-smpte": "SMPTE", "header-division0": "0 ticks per quarter",
    "zero_tracks-zero-tracks": "0 tracks", "header-format3": "format 3",
    "tempo-tempo-zero": "invalid tempo (0 microseconds", "tempo-tempo-one": "absurd tempo 6e+07 qpm",
    "huge_ticks-delta-2x": "overflow", "unclosed_notes-note-on-never-off": "no notes",
    "unclosed_notes-drums-only": "only drum notes", "abc-M-huge": "absurd meter '9999/1'",
    "abc-L-huge": "absurd unit note length", "abc-Q-huge": "absurd tempo 1e+08 qpm",
    "musicxml-entity-expansion": "cannot parse score", "musicxml-mxl-truncated-zip": "not a readable .mxl",
}

_CHILD = r"""
import json, sys, traceback
folder, tests_dir, names_file, limit = sys.argv[1:5]
sys.path.insert(0, tests_dir)
from tests import fuzz_corpus
import midistyle.representation.scores as scores
from midistyle.errors import InputError
from midistyle.representation import read
scores.SCORE_SECONDS = float(limit)
for name in open(names_file, encoding="utf-8").read().split("\n"):
    print(json.dumps({"start": name}), flush=True)
    try:
        out = {"outcome": "song", "problems": fuzz_corpus.song_problems(read(f"{folder}/{name}"))}
    except InputError as exc:
        out = {"outcome": "input_error", "message": str(exc), "reason": exc.reason}
    except BaseException as exc:
        out = {"outcome": "other", "message": f"{type(exc).__name__}: {exc}"[:300],
               "trace": traceback.format_exc()[-1500:]}
    out["name"] = name
    print(json.dumps(out), flush=True)
"""


def write_cases(folder: Path, cases: list[FuzzCase]) -> dict[str, FuzzCase]:
    folder.mkdir(parents=True, exist_ok=True)
    for c in cases:
        (folder / c.filename).write_bytes(c.data)
    return {c.filename: c for c in cases}


def read_in_child(folder: Path, names: list[str], score_seconds: float = 10.0) -> dict[str, dict]:
    """``read()`` each file in one child process; fail naming the file on a crash or a hang."""
    names_file = folder.parent / "names.txt"
    names_file.write_text("\n".join(names), encoding="utf-8")
    with open(folder.parent / "child.err", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(folder), str(REPO), str(names_file),
                                 str(score_seconds)], stdout=subprocess.PIPE, stderr=err)
    results: dict[str, dict] = {}
    current, buf = None, b""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60  # imports
    try:
        while True:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                pytest.fail(f"read() hung for over {PER_FILE_TIMEOUT:.0f} s on {current}")
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                msg = json.loads(line)
                if "start" in msg:
                    current = msg["start"]
                    deadline = time.monotonic() + PER_FILE_TIMEOUT
                else:
                    results[msg["name"]] = msg
                    current = None
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    tail = (folder.parent / "child.err").read_bytes()[-2000:].decode(errors="replace")
    assert proc.returncode == 0, f"the reader died (exit {proc.returncode}) on {current}: {tail}"
    return results


@pytest.mark.slow
def test_reader_gives_a_valid_song_or_input_error_on_every_fuzz_file(tmp_path):
    folder = tmp_path / "in"
    by_name = write_cases(folder, CASES)
    assert len(by_name) >= 1000
    results = read_in_child(folder, list(by_name))
    assert sorted(results) == sorted(by_name)
    failures = []
    for name, res in results.items():
        case = by_name[name]
        if res["outcome"] == "other":
            failures.append(f"{name}: {res['message']}\n{res['trace']}")
        elif res["outcome"] == "song" and res["problems"]:
            failures.append(f"{name}: invalid Song: {res['problems']}")
        elif res["outcome"] == "input_error":
            msg, reason = res["message"], res["reason"]
            if not reason or "\n" in msg or str(folder / name) not in msg:
                failures.append(f"{name}: unclear InputError {msg!r}")
        if (folder / name).read_bytes() != case.data:
            failures.append(f"{name}: input changed")
    assert not failures, "\n".join(failures[:20])
    for stem, pattern in EXPECTED_REASONS.items():
        name = next(n for n in by_name if n.startswith(stem + "."))
        assert results[name]["outcome"] == "input_error" and pattern in results[name]["reason"], \
            (name, results[name])
    songs = {by_name[n].category for n, r in results.items() if r["outcome"] == "song"}
    # well-formed oddities are read, not refused
    assert {"type2", "track_names", "running_status", "meta", "abc", "kern", "musicxml"} <= songs


def test_names_from_the_file_reach_no_terminal_raw(cli, tmp_path):
    raw = b"a\0b\x1b[31mred\x1b[0m\nnext\rline\x7f\x9b"
    src = tmp_path / "names.mid"
    src.write_bytes(fuzz_corpus.simple(fuzz_corpus.name(0, raw) + fuzz_corpus.SCALE))
    name = read(src).tracks[0].name
    assert name.startswith("a b [31mred [0m next line") and not fuzz_corpus.song_problems(read(src))
    res = cli("inspect", src)
    assert res.exit_code == 0 and "\x1b" not in res.output and "\0" not in res.output


@pytest.mark.slow
def test_a_score_that_makes_music21_loop_is_stopped(tmp_path, monkeypatch):
    import music21

    from midistyle.representation import scores

    def forever(*args, **kwargs):
        while True:
            pass

    src = tmp_path / "tune.abc"
    src.write_bytes(fuzz_corpus.ABC)
    monkeypatch.setattr(music21.converter, "parse", forever)
    monkeypatch.setattr(music21.converter, "parseData", forever)  # ABC tunes are parsed as text
    monkeypatch.setattr(scores, "SCORE_SECONDS", 0.3)
    with pytest.raises(Exception) as info:
        read(src)
    assert type(info.value).__name__ == "InputError" and "gave up after 0.3 s" in str(info.value)
    import signal
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0  # the alarm is disarmed afterwards


def test_midi_writer_refuses_times_it_would_wrap(tmp_path):
    from midistyle.errors import InputError
    from midistyle.representation import Song, Track, write_midi

    far = Song([Track.from_notes("x", 0, False, [(2.0 ** 20, 2.0 ** 20 + 1, 60, 80)])], [(0.0, 120.0)],
               [(0.0, 4, 4)], resolution=480, source="far")
    with pytest.raises(InputError, match="too long to write as MIDI"):
        write_midi(far, tmp_path / "far.mid")
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------- the CLI
def cli_commands() -> set[str]:
    return set(main.commands)


def need(command: str) -> None:
    if command not in cli_commands():
        pytest.skip(f"`midistyle {command}` is not in the CLI yet")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A tiny pop->jazz CycleGAN and a tiny classifier (random weights): enough to run the commands."""
    torch = pytest.importorskip("torch")
    from midistyle.config import ModelConfig, RollConfig
    from midistyle.models.checkpoint import save_checkpoint
    from midistyle.models.registry import build_model

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("models")
    g, f = (build_model(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1)) for _ in range(2))
    save_checkpoint(root / "gen", {"G": g, "F": f}, {"kind": "cyclegan", "roll": RollConfig(), "source": ["pop"],
                                                     "target": ["jazz"], "genres": ["pop", "jazz"],
                                                     "phrase_steps": 64})
    c = build_model(ModelConfig(kind="classifier", base_channels=4, n_classes=3))
    save_checkpoint(root / "clf", {"C": c}, {"kind": "classifier", "roll": RollConfig(),
                                             "genres": ["pop", "jazz", "rock"], "phrase_steps": 64})
    return root / "gen", root / "clf"


@pytest.fixture(scope="module")
def valid_midi(tmp_path_factory):
    path = tmp_path_factory.mktemp("valid") / "valid.mid"
    path.write_bytes(fuzz_corpus.simple(fuzz_corpus.SCALE))
    return path


def complete(path: Path) -> bool:
    """Is ``path`` a whole file of its kind (not a truncated one)?"""
    data = path.read_bytes()
    if path.suffix == ".png":
        return data[:8] == b"\x89PNG\r\n\x1a\n" and data[-8:-4] == b"IEND"
    if path.suffix == ".wav":
        with wave.open(str(path)) as w:
            return w.getnframes() > 0 and 44 + w.getnframes() * w.getnchannels() * w.getsampwidth() == len(data)
    if path.suffix == ".mid":  # a converted song may hold no notes; it must still parse
        import symusic
        try:
            symusic.Score.from_midi(data)
            return True
        except RuntimeError:
            return False
    return path.stat().st_size > 0


# command -> (args for one input file and an output folder, the outputs it writes, exit codes for bad input)
def single_file_commands(models, valid_midi):
    gen = models[0] if models else None
    return {
        "inspect": (lambda src, out: [src], lambda out: [], {3}),
        "roll": (lambda src, out: [src, "-o", out / "r.png"], lambda out: [out / "r.png"], {3}),
        "quantize": (lambda src, out: [src, "-o", out / "q.mid"], lambda out: [out / "q.mid"], {3}),
        # a song without notes is the renderer's own error (6)
        "render": (lambda src, out: [src, "-o", out / "w.wav", "--rate", 8000], lambda out: [out / "w.wav"], {3, 6}),
        "convert": (lambda src, out: [src, "--to", "jazz", "--model", gen, "--from", "pop", "-o", out / "c.mid"],
                    lambda out: [out / "c.mid"], {3}),
        "compare": (lambda src, out: [src, valid_midi, "-o", out / "cmp.png"], lambda out: [out / "cmp.png"], {3}),
    }


SINGLE = ["inspect", "roll", "quantize", "render", "convert", "compare"]


def check_run(res, src: Path, data: bytes, out: Path, outputs: list[Path], bad_codes: set[int]) -> list[str]:
    problems = []
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        problems.append(f"{type(res.exception).__name__}: {res.exception}")
    if "Traceback" in res.output:
        problems.append("traceback")
    if res.exit_code == 0:
        missing = [p.name for p in outputs if not p.is_file() or not complete(p)]
        if missing:
            problems.append(f"incomplete outputs {missing}")
    elif res.exit_code in bad_codes:
        lines = res.output.strip().splitlines()
        if len(lines) != 1 or not lines[0].startswith("Error: ") or (res.exit_code == 3 and str(src) not in lines[0]):
            problems.append(f"not one line naming the input: {res.output[:300]!r}")
        if list(out.iterdir()):
            problems.append(f"left {sorted(p.name for p in out.iterdir())}")
    else:
        problems.append(f"exit {res.exit_code}: {res.output[-300:]!r}")
    if list(out.rglob("*.part")):
        problems.append("temporary .part file left")
    if src.read_bytes() != data:
        problems.append("input changed")
    return problems


@pytest.mark.parametrize("command", SINGLE)
@pytest.mark.slow
def test_every_command_on_fuzz_files(cli, command, tmp_path, request, valid_midi, monkeypatch):
    need(command)
    models = request.getfixturevalue("models") if command == "convert" else None
    make_args, outputs, bad_codes = single_file_commands(models, valid_midi)[command]
    from midistyle.representation import scores
    monkeypatch.setattr(scores, "SCORE_SECONDS", 10.0)
    write_cases(tmp_path / "in", SUBSET)
    failures, codes = [], set()
    for case in SUBSET:
        src, out = tmp_path / "in" / case.filename, tmp_path / "out" / case.name
        out.mkdir(parents=True)
        res = cli(command, *make_args(src, out))
        codes.add(res.exit_code)
        failures += [f"{case.name}: {p}" for p in check_run(res, src, case.data, out, outputs(out), bad_codes)]
    assert not failures, "\n".join(failures)
    assert 0 in codes and codes & bad_codes  # the subset holds both readable and unreadable files


@pytest.mark.parametrize("command", ["evaluate", "prepare", "convert"])
@pytest.mark.slow
def test_batch_commands_finish_and_list_the_bad_files(cli, command, tmp_path, request):
    """A folder of fuzz files: the batch finishes, writes its results and lists each bad file on one line."""
    need(command)
    data = tmp_path / "data"
    by_name = write_cases(data, SUBSET)
    out = tmp_path / "out"
    if command == "evaluate":
        gen, clf = request.getfixturevalue("models")
        args = ["--data", data, "--to", "jazz", "--model", gen, "--classifier", clf, "-o", out]
    elif command == "prepare":
        args = [data, "--genre", "jazz", "-o", out, "--workers", 1]
    else:
        gen, _ = request.getfixturevalue("models")
        args = [data, "--to", "jazz", "--model", gen, "--from", "pop", "-o", out, "--workers", 1]
    res = cli(command, *args)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert res.exit_code in (0, 1) and "Traceback" not in res.output, res.output[-2000:]
    readable = {n for n in by_name if _readable(data / n)}
    if command == "prepare":  # skips go to skipped.csv (path, reason); the run itself succeeds
        import csv
        with open(out / "skipped.csv", newline="", encoding="utf-8") as fh:
            listed = [Path(row["path"].partition("#")[0]).name for row in csv.DictReader(fh) if row["reason"]]
        assert res.exit_code == 0 and (out / "index.json").is_file()
    else:  # failures are listed on stderr after the batch, one per line, and the exit code is 1
        listed = [name for name in by_name for line in res.stderr.splitlines() if name in line and ": " in line]
        assert res.exit_code == (1 if readable != set(by_name) else 0)
    missing = sorted(set(by_name) - readable - set(listed))
    assert not missing, (f"unreadable files not reported: {missing}", res.stderr[-1500:])
    assert not list(tmp_path.rglob("*.part"))
    assert all((data / n).read_bytes() == c.data for n, c in by_name.items())


def _readable(path: Path) -> bool:
    from midistyle.errors import InputError
    try:
        read(path)
        return True
    except InputError:
        return False


# ---------------------------------------------------------------- real processes, large files
def run_process(*args, timeout: float = 120.0) -> subprocess.CompletedProcess:
    """The real ``midistyle`` in a child: real exit codes and stderr, and a bound on its time."""
    return subprocess.run([sys.executable, "-m", "midistyle.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "CI": ""})


def unreadable(category: str, tmp_path: Path) -> FuzzCase:
    """The first case of ``category`` that ``read()`` refuses."""
    for c in CASES:
        if c.category == category:
            (tmp_path / c.filename).write_bytes(c.data)
            if not _readable(tmp_path / c.filename):
                return c
    raise AssertionError(f"every {category} case is readable")


@pytest.mark.parametrize("command,category", [
    ("inspect", "truncate"), ("quantize", "bitflip"), ("roll", "abc"), ("render", "zero_tracks"),
])
@pytest.mark.slow
def test_real_process_prints_one_line_and_exit_code(command, category, tmp_path):
    need(command)
    c = unreadable(category, tmp_path)
    src = tmp_path / c.filename
    src.write_bytes(c.data)
    out = tmp_path / "out"
    out.mkdir()
    args = [src] if command == "inspect" else [src, "-o", out / ("o.png" if command == "roll" else
                                                                    "o.wav" if command == "render" else "o.mid")]
    res = run_process(command, *args)
    assert res.returncode == 3, (res.returncode, res.stderr)
    assert res.stdout == "" and len(res.stderr.splitlines()) == 1 and res.stderr.startswith(f"Error: {src}: ")
    assert not list(out.iterdir()) and src.read_bytes() == c.data


@pytest.mark.slow
def test_ten_hours_of_silence_and_200000_notes_in_bounded_time(tmp_path):
    silence, many = tmp_path / "silence.mid", tmp_path / "many.mid"
    silence.write_bytes(fuzz_corpus.long_silence(hours=10))
    many.write_bytes(fuzz_corpus.many_notes(200_000))
    song = read(silence)
    assert song.n_notes() == 1 and song.end == pytest.approx(10 * 3600 * 2 + 1)
    described = run_process("inspect", silence, timeout=60)  # inspect describes, with the limit as verdict
    assert described.returncode == 0 and "verdict  too long: 72001 beats" in described.stdout
    for command in ("quantize", "roll"):
        args = ["-o", tmp_path / f"s.{'png' if command == 'roll' else 'mid'}"]
        res = run_process(command, silence, *args, timeout=60)
        assert res.returncode == 3 and len(res.stderr.splitlines()) == 1, res.stderr
        assert res.stderr.startswith(f"Error: {silence}: too long: 72001")
    res = run_process("quantize", many, "-o", tmp_path / "q.mid", timeout=60)
    assert res.returncode == 0, res.stderr
    assert read(tmp_path / "q.mid").n_notes() == 200_000
    res = run_process("inspect", many, timeout=60)
    assert res.returncode == 0 and "200000 notes" in res.stdout and "bars     1563" in res.stdout
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize("case,reason", [
    ("huge_ticks-delta-0x", "too long: 559245 beats"), ("huge_ticks-note-held-max-delta", "too long: 559241 beats"),
    ("huge_ticks-division1-long", "too long: 300000 beats"), ("tempo-tempo-one", "absurd tempo 6e+07 qpm"),
    ("huge_ticks-delta-2x", "event times overflow"), ("abc-M-huge", "absurd meter '9999/1'"),
])
@pytest.mark.slow
def test_absurd_values_get_a_one_line_reason(cli, case, reason, tmp_path):
    c = next(c for c in CASES if c.name == case)
    src = tmp_path / c.filename
    src.write_bytes(c.data)
    for command in ("inspect", "quantize"):
        res = cli(command, src, *(["-o", tmp_path / "q.mid"] if command == "quantize" else []))
        if command == "inspect" and reason.startswith("too long"):  # described, limit as the verdict
            assert res.exit_code == 0 and f"verdict  {reason}" in res.output, res.output
            continue
        assert res.exit_code == 3 and one_line_error(res) and reason in res.output, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [c.filename]


# ---------------------------------------------------------------- refused outputs
# command -> (args before the output, the output's suffix)
WRITERS = {
    "quantize": ([], ".mid"), "roll": ([], ".png"), "render": (["--rate", 8000], ".wav"),
    "convert": (["--to", "jazz", "--from", "pop"], ".mid"), "compare": (["VALID"], ".png"),
}


def writer_args(command, src, out, models, valid):
    extra, _ = WRITERS[command]
    extra = [valid if a == "VALID" else a for a in extra]
    if command == "convert":
        extra += ["--model", models[0]]
    return [command, src, *extra, "-o", out]


def one_line_error(res) -> bool:
    lines = res.output.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in res.output


@pytest.mark.parametrize("command", [
    "quantize", "render", "convert",
    "roll",
    "compare",
])
def test_output_under_a_regular_file_is_refused(cli, command, tmp_path, request, valid_midi):
    """Root can write anywhere chmod allows nothing, so the unwritable folder is a regular file."""
    need(command)
    models = request.getfixturevalue("models") if command == "convert" else None
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("keep me")
    out = blocker / f"out{WRITERS[command][1]}"
    res = cli(*writer_args(command, valid_midi, out, models, valid_midi))
    assert res.exit_code == 4 and one_line_error(res), res.output
    assert blocker.read_text() == "keep me"


@pytest.mark.parametrize("command", list(WRITERS))
def test_existing_output_without_force_is_refused(cli, command, tmp_path, request, valid_midi):
    need(command)
    models = request.getfixturevalue("models") if command == "convert" else None
    out = tmp_path / f"out{WRITERS[command][1]}"
    out.write_bytes(b"precious")
    res = cli(*writer_args(command, valid_midi, out, models, valid_midi))
    assert res.exit_code == 4 and one_line_error(res) and "already exists" in res.output, res.output
    assert out.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


# ---------------------------------------------------------------- interrupted writes
def _break_writes(command, monkeypatch, exc: BaseException):
    """Make the command's writer put some bytes down, then raise ``exc``."""
    if command in ("quantize", "convert"):
        real = pathlib.Path.write_bytes

        def half(self, data):
            real(self, data[: len(data) // 2])
            raise exc
        monkeypatch.setattr(pathlib.Path, "write_bytes", half)
    elif command == "render":
        real_frames = wave.Wave_write.writeframes
        calls = []

        def frames(self, data):
            calls.append(1)
            if len(calls) > 1:
                raise exc
            real_frames(self, data)
        monkeypatch.setattr(wave.Wave_write, "writeframes", frames)
    else:
        from matplotlib.figure import Figure

        def savefig(self, fname, **kwargs):
            Path(fname).write_bytes(b"\x89PNG\r\n\x1a\n half a picture")
            raise exc
        monkeypatch.setattr(Figure, "savefig", savefig)


@pytest.mark.parametrize("command", list(WRITERS))
@pytest.mark.parametrize("force", [False, True])
def test_interrupted_write_leaves_no_half_file(cli, command, force, tmp_path, request, valid_midi, monkeypatch):
    need(command)
    models = request.getfixturevalue("models") if command == "convert" else None
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / f"result{WRITERS[command][1]}"
    if force:
        out.write_bytes(b"the previous result")
    if command == "render":  # several WAV chunks: a long enough song, at the default rate
        src = tmp_path / "long.mid"
        src.write_bytes(fuzz_corpus.simple(fuzz_corpus.notes([60, 64, 67] * 4, step=480)))
        args = [command, src, "-o", out]
    else:
        args = writer_args(command, valid_midi, out, models, valid_midi)
    _break_writes(command, monkeypatch, KeyboardInterrupt())
    res = cli(*args, *(["--force"] if force else []))
    assert res.exit_code == 130 and res.output.strip() == "Interrupted.", res.output
    assert sorted(p.name for p in out_dir.iterdir()) == ([out.name] if force else [])
    if force:
        assert out.read_bytes() == b"the previous result"


@pytest.mark.parametrize("command", [
    "quantize", "render", "convert",
    "roll",
    "compare",
])
def test_disk_full_mid_write_is_one_line_and_no_file(cli, command, tmp_path, request, valid_midi, monkeypatch):
    need(command)
    models = request.getfixturevalue("models") if command == "convert" else None
    out = tmp_path / f"result{WRITERS[command][1]}"
    if command == "render":
        src = tmp_path / "long.mid"
        src.write_bytes(fuzz_corpus.simple(fuzz_corpus.notes([60, 64, 67] * 4, step=480)))
        args = [command, src, "-o", out]
    else:
        args = writer_args(command, valid_midi, out, models, valid_midi)
    _break_writes(command, monkeypatch, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    res = cli(*args)
    assert res.exit_code == 4 and one_line_error(res) and "No space left" in res.output, res.output
    assert not out.exists() and not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize("where", ["track name", "file name"])
def test_roll_draws_names_with_dollar_signs(cli, where, tmp_path):
    need("roll")
    src = tmp_path / ("a$$b.mid" if where == "file name" else "song.mid")
    title = b"$x^{$" if where == "track name" else b"Piano"
    src.write_bytes(fuzz_corpus.simple(fuzz_corpus.name(0, title) + fuzz_corpus.SCALE))
    res = cli("roll", src, "-o", tmp_path / "r.png")
    assert res.exit_code == 0 and complete(tmp_path / "r.png"), res.output
