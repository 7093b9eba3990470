"""The style judge: genre from musical features of the pitched notes, which no generator trains against.

:mod:`.features` computes the features (pure numpy), :mod:`.judge` loads a fitted judge and
predicts (numpy only); fitting it needs scikit-learn (:mod:`.fit`, the ``train`` extra). The
arrangement judge is the same class over :mod:`.arrangement`'s features (drums, feel, bass, harmony
colour, instruments): :func:`judge_arrangement`.
"""
from .features import FEATURE_GROUPS, FEATURE_NAMES, piece_features, segment_features, song_features
from .judge import StyleJudge, judge_arrangement

__all__ = ["FEATURE_GROUPS", "FEATURE_NAMES", "StyleJudge", "judge_arrangement", "piece_features", "segment_features",
           "song_features"]
