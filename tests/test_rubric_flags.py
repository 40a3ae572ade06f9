"""The optional rubric key ``examiner_flags``: flag and watch sizes as fractions of the range."""

import json
from pathlib import Path

import numpy as np
import pytest

from scoring.chair.agreement_report import PanelData, analyse
from scoring.chair.queries import rubric_thresholds
from scoring.rubrics import ExaminerFlags, RubricError, load_rubric, parse_rubric, rubric_from_json
from scoring.stats import Thresholds

MINIMAL = Path(__file__).resolve().parent / "data" / "rubrics" / "good" / "minimal.yaml"
FLAGS = "examiner_flags:\n  flag_share: 0.25\n  watch_share: 0.1\n"


def _with(block: str) -> str:
    return MINIMAL.read_text(encoding="utf-8").replace("quorum: 2\n", "quorum: 2\n" + block)


def test_examiner_flags_are_read_kept_in_the_snapshot_and_hashed():
    plain = load_rubric(MINIMAL)
    sized = parse_rubric(_with(FLAGS))
    assert plain.examiner_flags is None and "examiner_flags" not in plain.to_dict()
    assert sized.examiner_flags == ExaminerFlags(0.25, 0.1)
    assert json.loads(sized.to_json())["examiner_flags"] == {"flag_share": 0.25,
                                                             "watch_share": 0.1}
    assert sized.content_hash != plain.content_hash
    again = rubric_from_json(sized.to_json())
    assert again == sized and again.content_hash == sized.content_hash


@pytest.mark.parametrize("block,message", [
    ("examiner_flags:\n  flag_share: 0.25\n", "examiner_flags.watch_share: required key"),
    ("examiner_flags:\n  flag_share: 0\n  watch_share: 0\n", "expected a positive finite"),
    ("examiner_flags:\n  flag_share: true\n  watch_share: 0.1\n", "got a boolean"),
    ("examiner_flags:\n  flag_share: 0.2\n  watch_share: 0.1\n  z_min: 3\n",
     "unknown key 'z_min'"),
    ("examiner_flags: 0.2\n", "expected a mapping"),
])
def test_bad_examiner_flags_are_named(block, message):
    with pytest.raises(RubricError, match=message) as caught:
        parse_rubric(_with(block), "r.yaml")
    assert caught.value.line is not None and caught.value.line >= 12


def test_the_rubric_sizes_reach_the_statistics():
    assert rubric_thresholds(load_rubric(MINIMAL)) == Thresholds()
    th = rubric_thresholds(parse_rubric(_with(FLAGS)))
    assert (th.min_share, th.watch_share) == (0.25, 0.1)
    assert th.points((1, 4)) == pytest.approx((0.75, 0.3))


def test_the_chair_report_uses_the_rubric_sizes():
    # examiner 0 scores half a level above three colleagues who agree: flagged by default
    # (1/8 of 1-4 is 0.375 points), only watched when the rubric asks for a quarter of it
    rng = np.random.default_rng(4)
    base = rng.integers(1, 4, size=(30, 1, 2)).astype(float)
    x = np.concatenate([base + (rng.random((30, 1, 2)) < 0.5), base, base, base], axis=1)
    people = tuple({"id": j, "username": f"e{j}", "name": f"E{j}"} for j in range(4))
    data = PanelData(x, tuple(range(30)), tuple(range(1, 31)), tuple(f"P{i}" for i in range(30)),
                     people, ("KOM", "KS"))
    default = analyse(data, load_rubric(MINIMAL), with_drift=False)["examiners"][0]
    sized = analyse(data, parse_rubric(_with(FLAGS)), with_drift=False)["examiners"][0]
    assert "lenient" in default["flags"] and default["watch"] == []
    assert "lenient" not in sized["flags"] and sized["watch"] == ["lenient"]


def test_the_documented_block_is_valid():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "rubric-format.md").read_text()
    block = doc.split("## Examiner flags", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    sized = parse_rubric(_with(block))
    assert sized.examiner_flags == ExaminerFlags(0.125, 0.0833)
