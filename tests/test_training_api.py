"""The training API's defaults: genres come from the corpus when none are named."""
from __future__ import annotations

import pytest
import torch
from tests.corpus_fixtures import make_sources

from midistyle.data.corpus import prepare
from midistyle.models.checkpoint import load_classifier
from midistyle.training.api import train_classifier

pytestmark = pytest.mark.slow  # subprocesses, models or training runs: seconds each

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def two_genres(tmp_path_factory):
    """A corpus holding two genres, neither of them a shipped one (no classical, no jazz...)."""
    out = tmp_path_factory.mktemp("prepared")
    prepare(make_sources(tmp_path_factory.mktemp("src")), out, workers=1, val_fraction=0.3, progress=False)
    return out


def test_train_classifier_defaults_to_the_corpus_genres(two_genres, tmp_path):
    """`train classifier` used to fail with "unknown genre(s) ['classical']" on such a corpus."""
    result = train_classifier(two_genres, None, tmp_path / "run", preset="tiny", device="cpu", max_steps=1,
                              progress=False)
    assert load_classifier(result.best)[1].genres == ("band", "tunes")


def test_cli_train_classifier_on_a_corpus_of_any_genres_draws_no_bar_into_a_log(two_genres, tmp_path):
    """The README's `train classifier` example failed on a corpus without all five genres, and
    progress bars went into non-terminal logs."""
    from click.testing import CliRunner

    from midistyle.cli import main

    res = CliRunner().invoke(main, ["train", "classifier", "--data", str(two_genres), "-o", str(tmp_path / "run"),
                                    "--preset", "tiny", "--max-steps", "1", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    assert "trained 1 steps" in res.output
    assert "it/s" not in res.output and "%|" not in res.output
    assert load_classifier(tmp_path / "run" / "best")[1].genres == ("band", "tunes")


def test_cli_prepare_draws_no_bar_into_a_log(tmp_path):
    from click.testing import CliRunner

    from midistyle.cli import main

    sources = make_sources(tmp_path / "src")
    res = CliRunner().invoke(main, ["prepare", str(sources["tunes"][0]), "--genre", "folk", "-o", str(tmp_path / "p"),
                                    "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "%|" not in res.output and "piece/s" not in res.output
