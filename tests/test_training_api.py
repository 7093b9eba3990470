"""The training API's defaults: genres come from the corpus when none are named."""
from __future__ import annotations

import pytest
import torch
from corpus_fixtures import make_sources

from midistyle.data.corpus import prepare
from midistyle.models.checkpoint import load_classifier
from midistyle.training.api import train_classifier

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
