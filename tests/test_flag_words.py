"""The watch tier in the chair's words (Indonesian by default, English) and on the live board."""

import numpy as np
from flask_babel import force_locale

from scoring.chair import interpret
from scoring.chair.queries import _deviation
from scoring.stats import Thresholds, rater_effects


def _examiner(watch_code="lenient", flags=()):
    figures = {"deviation": 0.3 if watch_code == "lenient" else -0.3, "z": 3.2, "se": 0.09,
               "gap": 0.28, "z_min": 2.0, "min_points": 0.375, "watch_points": 0.25}
    return {"name": "Budi", "examiner": "budi", "n_candidates": 40, "note": None,
            "flags": list(flags), "flag_details": [],
            "watch": [watch_code], "watch_details": [{"code": watch_code, "tier": "watch",
                                                      "reason": "", "figures": figures}]}


def test_watch_is_said_softly_in_indonesian_and_english(app):
    with app.test_request_context():
        with force_locale("id"):
            [text] = interpret.examiner_sentences(_examiner(), 10)
            assert "cenderung memberi nilai sedikit lebih tinggi" in text
            assert "0,30 poin" in text and "z = 3,2" in text
            assert "belum cukup untuk ditandai" in text
            assert str(interpret.WATCH_LABELS["severe"]) == "Sedikit keras (pantau)"
            [low] = interpret.examiner_sentences(_examiner("severe"), 10)
            assert "sedikit lebih rendah" in low
        with force_locale("en"):
            [text] = interpret.examiner_sentences(_examiner(), 10)
            assert text.startswith("Budi tends to score a little higher")
            assert "not enough for a flag" in text
            assert "in line with the rest" not in text


def test_live_feedback_marks_watch_apart_from_attention():
    rng = np.random.default_rng(12)
    base = rng.integers(1, 4, size=(12, 1, 3)).astype(float)
    bump = rng.random((12, 1, 3))
    th = Thresholds()
    tiers = set()
    for share, expected in ((0.3, "watch"), (0.7, "attention")):
        x = np.concatenate([base + (bump < share), base, base, base + (bump < 0.05)], axis=1)
        effect = rater_effects(x, (1, 4), th)[0]
        d = _deviation(effect, (1, 4), th)
        assert not (d["attention"] and d["watch"])
        tiers.add("attention" if d["attention"] else "watch" if d["watch"] else None)
        assert d[expected], (share, effect.deviation, effect.z, effect.gap)
    assert tiers == {"watch", "attention"}
