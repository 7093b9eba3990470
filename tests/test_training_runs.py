"""midistyle/training/runs.py and the preset a run gets (training/runtime.choose_preset)."""
import json

from midistyle.training.distributed import is_main_process
from midistyle.training.runs import RUN_NAME, read_run, run_preset
from midistyle.training.runtime import choose_preset


def test_read_run_and_its_preset(tmp_path):
    assert read_run(tmp_path) is None and run_preset(tmp_path) is None
    (tmp_path / RUN_NAME).write_text("{broken")
    assert read_run(tmp_path) is None
    (tmp_path / RUN_NAME).write_text(json.dumps({"train": {"preset": "tiny", "seed": 3}}))
    assert read_run(tmp_path)["train"]["seed"] == 3 and run_preset(tmp_path) == "tiny"
    (tmp_path / RUN_NAME).write_text(json.dumps({"train": ["tiny"]}))
    assert run_preset(tmp_path) is None


def test_choose_preset(tmp_path):
    assert choose_preset("brunner", "cpu", True, tmp_path) == ("brunner", None)
    assert choose_preset(None, "cpu", False, tmp_path)[0] == "small"
    assert "sized for a CPU" in choose_preset(None, "cpu", True, tmp_path)[1]
    (tmp_path / RUN_NAME).write_text(json.dumps({"train": {"preset": "tiny"}}))
    assert choose_preset(None, "cpu", True, tmp_path) == ("tiny", "the run's own")
    assert choose_preset(None, "cpu", False, tmp_path)[0] == "small"  # a new run ignores the folder's old run.json
    (tmp_path / RUN_NAME).write_text(json.dumps({"train": {"preset": "no-such"}}))
    assert choose_preset(None, "cpu", True, tmp_path)[0] == "small"


def test_only_rank_zero_is_the_main_process(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    assert is_main_process()
    monkeypatch.setenv("RANK", "1")
    assert not is_main_process()
    monkeypatch.setenv("RANK", "0")
    assert is_main_process()
