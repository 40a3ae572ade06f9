"""Tests for scoring.rubrics: the shipped rubrics, validation errors, hashing, final_score."""

import ast
import copy
import dataclasses
import hashlib
import json
import re
import sys
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.rubrics import (
    Combination,
    Level,
    Rubric,
    RubricError,
    Scale,
    Text,
    check_rubrics,
    load_rubric,
    parse_rubric,
    rubric_from_json,
)

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics"
DATA = Path(__file__).resolve().parent / "data" / "rubrics"
SHIPPED = sorted(RUBRICS.glob("*.yaml"))
INDONESIAN = ["wawancara-kompetensi-asn.yaml", "integritas-moralitas-pppk.yaml"]
BAD = sorted((DATA / "bad").glob("*.yaml"))
MINIMAL = DATA / "good" / "minimal.yaml"


def rubric_text(name: str) -> str:
    """Return the text of a shipped rubric."""
    return (RUBRICS / name).read_text(encoding="utf-8")


def with_changes(text: str, change) -> str:
    """Return rubric YAML re-dumped after ``change(data)`` edited its plain data."""
    data = yaml.safe_load(text)
    change(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# --- shipped rubrics


def test_the_three_default_rubrics_are_shipped():
    names = {p.name for p in SHIPPED}
    assert {*INDONESIAN, "example-en.yaml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_rubric_loads_without_errors(path):
    [(source, rubric, errors)] = check_rubrics([path])
    assert errors == []
    assert rubric == load_rubric(path)
    # the template is named so that it is found first; its id is a slug like any other
    assert rubric.id == ("templat-rubrik" if path.name == "TEMPLATE.yaml" else path.stem)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_rubric_is_complete(path):
    rubric = load_rubric(path)
    assert rubric.scale.values == tuple(range(rubric.scale.min, rubric.scale.max + 1))
    for criterion in rubric.criteria:
        assert set(criterion.anchors) == set(rubric.scale.values)
        types = {q.type for q in criterion.questions}
        assert types == {"past_behaviour", "situational"}, criterion.code
        assert all(q.probes for q in criterion.questions), criterion.code
        anchors = [criterion.anchor(level).get("id") for level in rubric.scale.values]
        assert len(set(anchors)) == len(anchors), f"{criterion.code}: anchors repeat"


def all_texts(rubric: Rubric):
    """Yield every Text of a rubric."""
    yield rubric.title
    if rubric.description:
        yield rubric.description
    yield from (level.label for level in rubric.scale.levels)
    for criterion in rubric.criteria:
        yield from (criterion.name, criterion.definition, *criterion.anchors.values())
        for question in criterion.questions:
            yield from (question.text, *question.probes)


@pytest.mark.parametrize("name", INDONESIAN)
def test_indonesian_rubrics_are_bilingual_on_a_1_to_4_scale(name):
    rubric = load_rubric(RUBRICS / name)
    assert (rubric.scale.min, rubric.scale.max, rubric.scale.midpoint) == (1, 4, False)
    assert rubric.evidence_required == frozenset({1, 4})
    assert rubric.description is not None
    for text in all_texts(rubric):
        assert text.id and text.en, text


def test_asn_rubric_covers_the_nine_permenpanrb_competencies():
    rubric = load_rubric(RUBRICS / "wawancara-kompetensi-asn.yaml")
    names = [c.name.get("id") for c in rubric.criteria]
    assert names == [
        "Integritas",
        "Kerja Sama",
        "Komunikasi",
        "Orientasi pada Hasil",
        "Pelayanan Publik",
        "Pengembangan Diri dan Orang Lain",
        "Mengelola Perubahan",
        "Pengambilan Keputusan",
        "Perekat Bangsa",
    ]
    assert rubric.scale.middle == (2, 3)


def test_pppk_rubric_covers_the_five_aspects():
    rubric = load_rubric(RUBRICS / "integritas-moralitas-pppk.yaml")
    names = [c.name.get("id").lower() for c in rubric.criteria]
    assert names == ["kejujuran", "komitmen", "keadilan", "etika", "kepatuhan"]


def test_english_example_has_three_criteria_on_1_to_5_with_midpoint():
    rubric = load_rubric(RUBRICS / "example-en.yaml")
    assert len(rubric.criteria) == 3
    assert (rubric.scale.min, rubric.scale.max, rubric.scale.midpoint) == (1, 5, True)
    assert rubric.scale.middle == (3,)
    for text in all_texts(rubric):
        assert text.en and text.id is None  # language: en makes plain strings English


# --- identity: canonical JSON and content hash


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_hash_is_stable_across_reloads_and_is_the_sha256_of_the_json(path):
    first, second = load_rubric(path), load_rubric(path)
    assert first is not second
    assert first.content_hash == second.content_hash
    assert re.fullmatch(r"[0-9a-f]{64}", first.content_hash)
    assert first.content_hash == hashlib.sha256(first.to_json().encode("utf-8")).hexdigest()


@pytest.mark.parametrize("path", [*SHIPPED, MINIMAL], ids=lambda p: p.name)
def test_json_snapshot_round_trips(path):
    rubric = load_rubric(path)
    again = rubric_from_json(rubric.to_json())
    assert again == rubric
    assert hash(again) == hash(rubric)
    assert again.content_hash == rubric.content_hash
    assert again.to_json() == rubric.to_json()


@pytest.mark.parametrize("path", [*SHIPPED, MINIMAL], ids=lambda p: p.name)
def test_to_dict_is_itself_valid_rubric_yaml(path):
    rubric = load_rubric(path)
    assert parse_rubric(yaml.safe_dump(rubric.to_dict(), allow_unicode=True)) == rubric


def test_canonical_json_is_compact_sorted_and_keeps_non_ascii():
    rubric = parse_rubric(with_changes(MINIMAL.read_text(), lambda d: d.update(title="Café")))
    text = rubric.to_json()
    assert '"title":{"id":"Café"}' in text
    assert ": " not in text and ", " not in text.replace("Café", "")
    assert list(json.loads(text)) == sorted(json.loads(text))


def test_cosmetic_changes_keep_the_hash():
    written_differently = load_rubric(DATA / "good" / "minimal-cosmetic.yaml")
    assert written_differently.content_hash == load_rubric(MINIMAL).content_hash


@pytest.mark.parametrize("name", [p.name for p in SHIPPED])
def test_dropping_comments_and_reordering_keys_keeps_the_hash(name):
    text = rubric_text(name)
    data = yaml.safe_load(text)
    reordered = dict(reversed(list(data.items())))
    dumped = yaml.safe_dump(reordered, allow_unicode=True, sort_keys=True, width=60)
    assert "#" in text and "# " not in dumped
    assert parse_rubric(dumped).content_hash == parse_rubric(text).content_hash


def _edit_anchor(d):
    d["criteria"][0]["anchors"][3]["id"] += " Contoh harus spesifik."


def _edit_english_only(d):
    d["criteria"][1]["definition"]["en"] = d["criteria"][1]["definition"]["en"].upper()


def _swap_criteria(d):
    d["criteria"][0], d["criteria"][1] = d["criteria"][1], d["criteria"][0]


@pytest.mark.parametrize(
    "change",
    [
        _edit_anchor,
        _edit_english_only,
        _swap_criteria,
        lambda d: d["criteria"][2].update(weight=2),
        lambda d: d.update(evidence_required=[1]),
        lambda d: d.update(quorum=4),
        lambda d: d.update(discrepancy_threshold=1.5),
        lambda d: d.update(version="2025.2"),
        lambda d: d["scale"]["labels"].update({2: "Cukup"}),
        lambda d: d["criteria"][0]["questions"][0]["probes"].pop(),
        lambda d: d.update(combination={"decimals": 3}),
    ],
    ids=[
        "anchor",
        "english-only",
        "order",
        "weight",
        "evidence",
        "quorum",
        "threshold",
        "version",
        "label",
        "probe",
        "decimals",
    ],
)
def test_any_content_change_changes_the_hash(change):
    text = rubric_text("wawancara-kompetensi-asn.yaml")
    original = parse_rubric(text)
    changed = parse_rubric(with_changes(text, change))
    assert changed != original
    assert changed.content_hash != original.content_hash


def test_defaults_are_spelt_out_in_the_canonical_form():
    data = json.loads(load_rubric(MINIMAL).to_json())
    assert data["combination"] == {"method": "weighted_mean_of_panel_means", "decimals": 2}
    assert data["discrepancy_threshold"] == 2.0
    assert data["description"] is None
    assert data["criteria"][0]["questions"][0]["probes"] == []
    assert data["criteria"][0]["weight"] == 1.0


# --- malformed rubrics


def expectations(path: Path) -> tuple[list[str], int | None]:
    """Read the ``# expect:`` fragments and ``# expect-line:`` of a bad fixture."""
    text = path.read_text(encoding="utf-8")
    fragments = re.findall(r"^# expect: (.+)$", text, re.M)
    [line] = re.findall(r"^# expect-line: (\S+)$", text, re.M)
    return fragments, None if line == "none" else int(line)


def test_there_are_enough_bad_fixtures_each_with_its_expectation():
    assert len(BAD) >= 24
    for path in BAD:
        assert path.read_text(encoding="utf-8").startswith("# wrong: "), path.name
        fragments, _ = expectations(path)
        assert fragments, path.name


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_rubric_is_rejected_with_file_line_and_path(path):
    fragments, line = expectations(path)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    error = caught.value
    message = str(error)
    assert path.name in message
    assert error.source == str(path)
    assert error.line == line
    if line is not None:
        assert message.startswith(f"{path}:{line}: ")
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_each_bad_fixture_has_exactly_one_mistake(path):
    [(source, rubric, errors)] = check_rubrics([path])
    assert rubric is None
    assert len(errors) == 1, [str(e) for e in errors]


def test_rubric_error_formats_source_line_path_and_message():
    error = RubricError("rubrics/x.yaml", 14, "criteria[2].anchors", "level 3 has no anchor text")
    assert str(error) == "rubrics/x.yaml:14: criteria[2].anchors: level 3 has no anchor text"
    assert str(RubricError("<snapshot>", None, "quorum", "bad")) == "<snapshot>: quorum: bad"
    assert isinstance(error, ValueError)
    assert error.args == ("rubrics/x.yaml", 14, "criteria[2].anchors", "level 3 has no anchor text")


def test_parse_rubric_names_the_source():
    text = MINIMAL.read_text(encoding="utf-8").replace("id: contoh-minimal", "id: No Slug")
    with pytest.raises(RubricError, match=r"^<string>:2: id: expected a lowercase slug"):
        parse_rubric(text)
    with pytest.raises(RubricError, match=r"^sesi-7:2: id: "):
        parse_rubric(text, source="sesi-7")


MANY_MISTAKES = """\
id: Demo X
version: "1"
titel: Demo
title: Demo
scale: {min: 1, max: 4, midpoint: true, labels: {1: a, 2: b, 3: c, 4: d}}
quorum: 0
criteria:
  - code: kom
    name: Komunikasi
    definition: ""
    weight: -1
    anchors: {1: a, 2: b, 4: d}
    questions: [{type: hypothetical, text: "Apa?"}]
"""


def test_check_rubrics_collects_every_error_of_a_file_in_line_order(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text(MANY_MISTAKES, encoding="utf-8")
    [(source, rubric, errors)] = check_rubrics([path])
    assert source == str(path) and rubric is None
    found = [(e.line, e.path) for e in errors]
    assert found == [
        (1, "id"),
        (3, "titel"),
        (5, "scale.midpoint"),
        (6, "quorum"),
        (8, "criterion 1 (kom) › code"),  # criteria are counted from 1, named by code
        (10, "criterion 1 (kom) › definition"),
        (11, "criterion 1 (kom) › weight"),
        (12, "criterion 1 (kom) › anchors"),
        (13, "criterion 1 (kom) › questions #1.type"),
    ]
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert str(caught.value) == str(errors[0])


def test_check_rubrics_expands_directories_and_reports_unreadable_files(tmp_path):
    results = check_rubrics([RUBRICS, tmp_path / "missing.yaml"])
    assert [Path(source).name for source, _, _ in results] == [
        *(p.name for p in SHIPPED),
        "missing.yaml",
    ]
    assert all(rubric is not None for _, rubric, _ in results[:-1])
    source, rubric, [error] = results[-1]
    assert rubric is None and error.source == source and error.line is None


def test_check_rubrics_flags_same_id_and_version_with_different_content(tmp_path):
    text = MINIMAL.read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")  # identical copy: fine
    (tmp_path / "c.yaml").write_text(text.replace("quorum: 2", "quorum: 3"), encoding="utf-8")
    results = check_rubrics([tmp_path])
    assert [len(errors) for _, _, errors in results] == [0, 0, 1]
    [error] = results[2][2]
    assert error.path == "version" and "a.yaml" in error.message


def test_file_that_is_not_utf8_is_an_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Caf\xe9\n".encode("latin-1"))
    with pytest.raises(RubricError, match="not UTF-8"):
        load_rubric(path)


def test_byte_order_mark_is_tolerated(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.read_bytes())
    assert load_rubric(path) == load_rubric(MINIMAL)


def test_alias_bombs_and_recursive_aliases_are_refused_quickly():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    with pytest.raises(RubricError, match="too many values"):
        parse_rubric(bomb)
    with pytest.raises(RubricError, match="nested too deeply"):
        parse_rubric("criteria: &c [*c]\n")


def test_plain_aliases_are_allowed():
    text = MINIMAL.read_text(encoding="utf-8")
    text = text.replace("    weight: 1\n", "    weight: &w 1\n", 1).replace(
        "    weight: 1\n", "    weight: *w\n", 1
    )
    assert "*w" in text
    assert parse_rubric(text) == load_rubric(MINIMAL)


def test_json_snapshot_errors_are_rubric_errors():
    with pytest.raises(RubricError, match=r"^<snapshot>:1: not valid JSON"):
        rubric_from_json("{")
    data = load_rubric(MINIMAL).to_dict()
    data["criteria"][0]["anchors"].pop(3)
    with pytest.raises(RubricError, match=r"^<snapshot>: criterion 1 \(KOM\) › anchors: level 3"):
        rubric_from_json(json.dumps(data))
    data = json.loads(load_rubric(MINIMAL).to_json())
    data["scale"]["labels"]["x"] = {"id": "x"}
    with pytest.raises(RubricError, match=r"scale\.labels\.x"):
        rubric_from_json(json.dumps(data))


# --- format details


def test_version_keeps_the_text_as_written():
    text = MINIMAL.read_text(encoding="utf-8")
    assert parse_rubric(text.replace('version: "1"', "version: 1.10")).version == "1.10"
    assert parse_rubric(text.replace('version: "1"', "version: 3")).version == "3"


def test_localised_text_forms():
    text = MINIMAL.read_text(encoding="utf-8")
    rubric = parse_rubric(text.replace("title: Contoh rubrik", "title: {en: Example}"))
    assert rubric.title == Text(en="Example")
    english = parse_rubric(text.replace("title: Contoh rubrik", "language: en\ntitle: Example"))
    assert english.title == Text(en="Example")
    assert english.criteria[0].name == Text(en="Komunikasi")


def test_defaults():
    rubric = load_rubric(MINIMAL)
    assert rubric.combination == Combination("weighted_mean_of_panel_means", 2)
    assert rubric.discrepancy_threshold == 2.0
    assert rubric.description is None
    no_evidence = MINIMAL.read_text(encoding="utf-8").replace("evidence_required: [1, 4]\n", "")
    assert parse_rubric(no_evidence).evidence_required == frozenset()


def test_default_threshold_never_exceeds_the_scale_range():
    def two_levels(d):
        d["scale"] = {"min": 0, "max": 1, "midpoint": False, "labels": {0: "tidak", 1: "ya"}}
        d["evidence_required"] = []
        for criterion in d["criteria"]:
            criterion["anchors"] = {0: "tidak tampak", 1: "tampak"}

    rubric = parse_rubric(with_changes(MINIMAL.read_text(), two_levels))
    assert rubric.discrepancy_threshold == 1.0
    assert rubric.scale.middle == (0, 1)


# --- the objects


def test_text_fallback():
    both = Text(id="Integritas", en="Integrity")
    assert both.get("id") == "Integritas" and both.get("en") == "Integrity"
    assert both.get("en-GB") == "Integrity" and both.get("EN") == "Integrity"
    assert both.get("fr") == "Integritas"
    assert str(both) == "Integritas"
    only_id, only_en = Text(id="Jujur"), Text(en="Honest")
    assert only_id.get("en") == "Jujur"
    assert only_en.get("id") == "Honest" and str(only_en) == "Honest"
    with pytest.raises(ValueError):
        Text()


def test_scale_middle_and_values():
    def scale(lo, hi):
        levels = tuple(Level(v, Text(id=str(v))) for v in range(lo, hi + 1))
        return Scale(lo, hi, len(levels) % 2 == 1, levels)

    assert scale(1, 4).middle == (2, 3)
    assert scale(1, 5).middle == (3,)
    assert scale(0, 3).middle == (1, 2)
    assert scale(1, 7).middle == (4,)
    assert scale(1, 4).values == (1, 2, 3, 4)
    assert scale(1, 4).label(2) == Text(id="2")
    with pytest.raises(KeyError):
        scale(1, 4).label(5)


def test_rubric_is_immutable_and_hashable():
    rubric = load_rubric(MINIMAL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rubric.quorum = 1
    with pytest.raises(TypeError):
        rubric.criteria[0].anchors[1] = Text(id="x")
    assert isinstance(rubric.criteria, tuple) and isinstance(rubric.evidence_required, frozenset)
    assert {rubric: 1}[load_rubric(MINIMAL)] == 1


def test_lookups():
    rubric = load_rubric(MINIMAL)
    assert rubric.codes == ("KOM", "KS")
    assert rubric.criterion("KS").name == Text(id="Kerja sama")
    with pytest.raises(KeyError, match="NOPE"):
        rubric.criterion("NOPE")
    assert rubric.requires_evidence(1) and rubric.requires_evidence(4)
    assert not rubric.requires_evidence(2)
    assert rubric.criterion("KOM").anchor(3) == Text(id="Jelas")
    assert list(rubric.criterion("KOM").anchors) == [1, 2, 3, 4]


# --- final_score


@pytest.fixture
def example():
    """The shipped English example: weights SERVICE 2, TEAM 1, COMMUNICATION 1; 1-5."""
    return load_rubric(RUBRICS / "example-en.yaml")


def test_final_score_is_the_weighted_mean_of_panel_means(example):
    sheets = {
        "ani": {"SERVICE": 4, "TEAM": 3, "COMMUNICATION": 5},
        "budi": {"SERVICE": 2, "TEAM": 3, "COMMUNICATION": 4},
    }
    # panel means 3, 3, 4.5; (2*3 + 3 + 4.5) / 4 = 3.375 -> 3.38
    assert example.criterion_means(sheets) == {"SERVICE": 3.0, "TEAM": 3.0, "COMMUNICATION": 4.5}
    assert example.final_score(sheets) == 3.38


def test_final_score_weights_matter(example):
    sheets = {"ani": {"SERVICE": 5, "TEAM": 1, "COMMUNICATION": 1}}
    assert example.final_score(sheets) == 3.0  # (2*5 + 1 + 1) / 4; unweighted would be 2.33


def test_examiner_missing_on_a_criterion_is_left_out_of_that_mean(example):
    sheets = {
        "ani": {"SERVICE": 4, "TEAM": 2, "COMMUNICATION": 3},
        "budi": {"SERVICE": 2, "COMMUNICATION": 3},
        "citra": {"SERVICE": 3, "TEAM": None, "COMMUNICATION": 3},
    }
    assert example.criterion_means(sheets)["TEAM"] == 2.0
    assert example.final_score(sheets) == 2.75  # (2*3 + 2 + 3) / 4


def test_rounding_is_half_away_from_zero_on_the_exact_value(example):
    sheets = {
        "ani": {"SERVICE": 3, "TEAM": 2, "COMMUNICATION": 2},
        "budi": {"SERVICE": 3, "TEAM": 2, "COMMUNICATION": 3},
    }
    # (2*3 + 2 + 2.5) / 4 = 2.625 exactly; round() would give 2.62 (half to even)
    assert example.final_score(sheets) == 2.63
    thirds = {
        "a": {"SERVICE": 1, "TEAM": 1, "COMMUNICATION": 1},
        "b": {"SERVICE": 1, "TEAM": 1, "COMMUNICATION": 1},
        "c": {"SERVICE": 2, "TEAM": 1, "COMMUNICATION": 1},
    }
    assert example.final_score(thirds) == 1.17  # (2*4/3 + 1 + 1) / 4 = 1.1666...


def test_decimals_and_weighted_sum():
    text = rubric_text("example-en.yaml")
    sheets = {"a": {"SERVICE": 4, "TEAM": 3, "COMMUNICATION": 4}}

    def method(name, decimals):
        def change(d):
            d["combination"] = {"method": name, "decimals": decimals}

        return parse_rubric(with_changes(text, change))

    assert method("weighted_mean_of_panel_means", 0).final_score(sheets) == 4.0  # 3.75
    assert method("weighted_mean_of_panel_means", 3).final_score(sheets) == 3.75
    assert method("weighted_sum_of_panel_means", 2).final_score(sheets) == 15.0  # 8 + 3 + 4


def test_final_score_refuses_incomplete_or_invalid_sheets(example):
    with pytest.raises(ValueError, match="TEAM, COMMUNICATION"):
        example.final_score({"ani": {"SERVICE": 3}})
    with pytest.raises(ValueError, match="SERVICE"):
        example.final_score({})
    with pytest.raises(ValueError, match=r"sheets\['ani'\]\['TEAM'\]: 6 is not a level"):
        example.final_score({"ani": {"SERVICE": 3, "TEAM": 6, "COMMUNICATION": 3}})
    for bad in (0, 2.5, True, "3", float("nan"), [3], {"level": 3}):
        with pytest.raises(ValueError, match="is not a level"):
            example.final_score({"ani": {"SERVICE": 3, "TEAM": bad, "COMMUNICATION": 3}})
    with pytest.raises(ValueError, match="unknown criterion 'TEEM'"):
        example.final_score({"ani": {"SERVICE": 3, "TEEM": 3, "COMMUNICATION": 3}})


def test_final_score_accepts_integral_floats_and_other_real_numbers(example):
    sheets = {"a": {"SERVICE": 4.0, "TEAM": Fraction(3), "COMMUNICATION": 5}}
    assert example.final_score(sheets) == 4.0


def reference_final_score(rubric: Rubric, sheets) -> Decimal:
    """Compute the final score independently: Decimal arithmetic, spelled out."""
    total = weights = Decimal(0)
    for criterion in rubric.criteria:
        values = [s[criterion.code] for s in sheets.values() if s.get(criterion.code) is not None]
        mean = Fraction(sum(values), len(values))
        weight = Decimal(repr(criterion.weight))
        total += weight * Decimal(mean.numerator) / Decimal(mean.denominator)
        weights += weight
    exact = total / weights
    return exact.quantize(Decimal(1).scaleb(-rubric.combination.decimals), ROUND_HALF_UP)


ASN = load_rubric(RUBRICS / "wawancara-kompetensi-asn.yaml")


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_final_score_matches_an_independent_decimal_computation(data):
    rubric = ASN
    weights = data.draw(st.lists(st.sampled_from([0.5, 1, 1.5, 2, 3]), min_size=9, max_size=9))
    rubric = dataclasses.replace(
        rubric,
        criteria=tuple(
            dataclasses.replace(c, weight=float(w))
            for c, w in zip(rubric.criteria, weights, strict=True)
        ),
    )
    examiners = data.draw(st.integers(1, 5))
    level = st.one_of(st.none(), st.integers(1, 4))
    sheets = {f"e{i}": {code: data.draw(level) for code in rubric.codes} for i in range(examiners)}
    for code in rubric.codes:  # every criterion scored by at least one examiner
        if all(s[code] is None for s in sheets.values()):
            sheets["e0"][code] = data.draw(st.integers(1, 4))
    expected = reference_final_score(rubric, sheets)
    assert rubric.final_score(sheets) == float(expected)


# --- property: any valid rubric round-trips, however it is written

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéñ", min_size=1, max_size=8)
TEXT = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
LOCALISED = st.one_of(
    TEXT,
    st.fixed_dictionaries({"id": TEXT}),
    st.fixed_dictionaries({"en": TEXT}),
    st.fixed_dictionaries({"id": TEXT, "en": TEXT}),
)


@st.composite
def rubric_data(draw):
    """Draw the plain data of a valid rubric."""
    lo = draw(st.integers(-2, 3))
    hi = lo + draw(st.integers(1, 6))
    levels = range(lo, hi + 1)
    n = len(levels)
    codes = draw(
        st.lists(
            st.from_regex(r"[A-Z][A-Z0-9_]{0,5}", fullmatch=True),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    question = st.fixed_dictionaries(
        {"type": st.sampled_from(["past_behaviour", "situational"]), "text": LOCALISED},
        optional={"probes": st.lists(LOCALISED, max_size=2)},
    )
    criteria = [
        {
            "code": code,
            "name": draw(LOCALISED),
            "definition": draw(LOCALISED),
            "weight": draw(st.sampled_from([1, 2, 0.5, 0.25, 3.5])),
            "anchors": {level: draw(LOCALISED) for level in levels},
            "questions": draw(st.lists(question, min_size=1, max_size=2)),
        }
        for code in codes
    ]
    data = {
        "id": draw(st.from_regex(r"[a-z0-9][a-z0-9._-]{0,10}", fullmatch=True)),
        "version": draw(st.sampled_from(["1", "2025.1", "v2"])),
        "title": draw(LOCALISED),
        "scale": {
            "min": lo,
            "max": hi,
            "midpoint": n % 2 == 1,
            "labels": {level: draw(LOCALISED) for level in levels},
        },
        "quorum": draw(st.integers(1, 5)),
        "criteria": criteria,
    }
    if draw(st.booleans()):
        data["evidence_required"] = draw(st.lists(st.sampled_from(list(levels)), unique=True))
    if draw(st.booleans()):
        data["discrepancy_threshold"] = draw(st.sampled_from([0.5, 1, hi - lo]))
    return data


@settings(max_examples=40, deadline=None)
@given(rubric_data(), st.randoms(use_true_random=False))
def test_any_valid_rubric_round_trips_and_hashes_the_same_however_written(data, random):
    rubric = parse_rubric(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    assert rubric_from_json(rubric.to_json()) == rubric
    shuffled = copy.deepcopy(data)
    items = list(shuffled.items())
    random.shuffle(items)
    restyled = yaml.safe_dump(
        dict(items), allow_unicode=True, default_flow_style=True, sort_keys=random.random() < 0.5
    )
    assert parse_rubric(restyled).content_hash == rubric.content_hash


# --- purity

ALLOWED_LOCAL = {"model", "check", "check_context", "check_fields", "loading",
                 "yaml_lines", "messages", None}


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (ROOT / "scoring" / "rubrics").glob("*.py")))
def test_rubric_modules_import_only_the_stdlib_and_yaml(name):
    tree = ast.parse((ROOT / "scoring" / "rubrics" / name).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: only the sibling rubric modules
                names = [node.module] if node.module else [a.name for a in node.names]
                assert set(names) <= ALLOWED_LOCAL, f"{name}:{node.lineno}: {names}"
                continue
            modules = [node.module]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            assert top not in {"flask", "sqlalchemy", "scoring"}, f"{name}: {module}"
            assert not top.startswith("flask_"), f"{name}: {module}"
            assert top in sys.stdlib_module_names or top == "yaml", f"{name}: {module}"


# --- the documentation


def test_the_documented_example_is_a_valid_rubric():
    doc = (ROOT / "docs" / "rubric-format.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", doc, re.S).group(1)
    rubric = parse_rubric(example, source="docs/rubric-format.md")
    assert rubric.codes == ("KOM",)
    assert {q.type for q in rubric.criteria[0].questions} == {"past_behaviour", "situational"}


def test_the_documented_error_messages_are_the_real_ones():
    doc = (ROOT / "docs" / "rubric-format.md").read_text(encoding="utf-8")
    documented = re.findall(r"^rubrics/x\.yaml:(\d+): (.+?): (.+)$", doc, re.M)
    assert len(documented) == 4
    actual = set()
    for path in BAD:
        [(_, _, [error])] = check_rubrics([path])
        actual.add((str(error.line), error.path, error.message))
    for entry in documented:
        assert entry in actual
