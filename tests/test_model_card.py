"""examples/model_card.py: the model card's table is generated from the checkpoints and the results file."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import torch

from midistyle.config import ModelConfig, RollConfig
from midistyle.models.checkpoint import save_checkpoint
from midistyle.models.generator import Generator

SCRIPT = Path(__file__).parents[1] / "examples" / "model_card.py"


def _card():
    spec = importlib.util.spec_from_file_location("model_card", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_card_is_what_the_generator_writes():
    card = _card()
    assert card.main(["--check"]) == 0
    text = card.CARD.read_text()
    assert text.count(card.BEGIN) == 1 and text.count(card.END) == 1
    assert "| `to_jazz` | stargan | any -> jazz | 12 |" in text  # from to_jazz/config.json
    assert "| 100% | 0.56 | pass | 2026-12-04 |" in text  # from examples/results/ship_bar.json


def test_rows_come_from_config_json_safetensors_and_results(tmp_path):
    card = _card()
    torch.manual_seed(0)
    G = Generator(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1))
    prov = {"device": "cuda:0", "precision": "bf16-autocast", "wall_time_s": 287.0, "git_revision": "a" * 40,
            "index_sha256": "b" * 64}
    save_checkpoint(tmp_path / "pre" / "to_x", {"G": G}, {"kind": "gan", "roll": RollConfig(), "source": ["y"],
                                                            "target": ["x"], "step": 1234, "provenance": prov})
    results = tmp_path / "bar.json"
    results.write_text(json.dumps({"models": {"to_x": {"judged_target": 0.75, "onset_f1": 0.5, "bar": "fail",
                                                        "date": "2026-12-07"}}}))
    (row,) = card.rows(tmp_path / "pre", results)
    assert row[:4] == ["`to_x`", "gan", "y -> x", "4"] and "1,234 steps" in row[6]
    n = sum(p.numel() for p in G.state_dict().values())
    assert card.parameters(tmp_path / "pre" / "to_x" / "model.safetensors") == n
    assert row[8] == "cuda:0 bf16-autocast, 5 min, rev aaaaaaaaaa, corpus bbbbbbbbbbbb"
    assert row[9:] == ["75%", "0.50", "fail", "2026-12-07"]
    page = tmp_path / "README.md"
    page.write_text(f"# card\n\nprose\n\n{card.BEGIN}\nstale\n{card.END}\n\nmore prose\n")
    assert card.main(["--card", str(page), "--pretrained", str(tmp_path / "pre"), "--results", str(results),
                      "--check"]) == 1
    card.main(["--card", str(page), "--pretrained", str(tmp_path / "pre"), "--results", str(results)])
    text = page.read_text()
    assert "stale" not in text and "| `to_x` |" in text and text.endswith("more prose\n")
    assert text.startswith("# card\n\nprose\n\n")
