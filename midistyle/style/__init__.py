"""The style judge: genre from musical features of the pitched notes, which no generator trains against.

:mod:`.features` computes the features (pure numpy), :mod:`.judge` loads a fitted judge and
predicts (numpy only); fitting it needs scikit-learn (:mod:`.fit`, the ``train`` extra).
"""
from .features import FEATURE_GROUPS, FEATURE_NAMES, piece_features, segment_features, song_features
from .judge import StyleJudge

__all__ = ["FEATURE_GROUPS", "FEATURE_NAMES", "StyleJudge", "piece_features", "segment_features", "song_features"]
