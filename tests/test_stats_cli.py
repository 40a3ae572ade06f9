"""`scoring stats FILE.csv`, driven through click's CliRunner on the command object."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from scoring.cli.stats_commands import stats_command
from scoring.stats import read_long_csv

try:
    from tests.stats_helpers import simulate_panel
except ImportError:  # pragma: no cover
    from stats_helpers import simulate_panel


def _write_panel(path, phases=True, n=40, seed=5):
    rng = np.random.default_rng(seed)
    x = simulate_panel(rng, n=n)
    header = ["candidate", "examiner", "criterion", "score"] + (["phase"] if phases else [])
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i, j, c in np.ndindex(x.shape):
            row = [f"C{i + 1:03d}", f"E{j + 1}", f"crit{c + 1}", int(x[i, j, c])]
            if phases:
                w.writerow([*row, "pre"])
                # moderated scores after discussion: everyone moves to the panel median
                w.writerow([*row[:3], int(np.median(x[i, :, c])), "post"])
            else:
                w.writerow(row)
    return x


@pytest.fixture
def panel_csv(tmp_path):
    path = tmp_path / "panel.csv"
    _write_panel(path)
    return path


def test_text_report(panel_csv):
    result = CliRunner().invoke(stats_command, [str(panel_csv)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "40 candidates, 8 examiners, 4 criteria" in out
    assert "ICC(2,1)" in out and "G study" in out and "D study" in out
    assert "E1" in out and "lenient" in out and "severe" in out
    assert "Why flagged" in out
    assert "Leniency/severity evidence: the Rasch severity and its SE" in out


def test_json_gives_flags_as_codes(panel_csv):
    result = CliRunner().invoke(stats_command, [str(panel_csv), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schema"] == "scoring.stats.panel/1"
    assert data["source"]["phase"] == "pre"
    assert data["flag_evidence"] == {"source": "rasch", "note": None}
    effects = {e["examiner"]: e for e in data["examiner_effects"]}
    assert effects["E1"]["flags"] == ["lenient"]
    assert effects["E2"]["flags"] == ["severe"]
    assert effects["E3"]["flags"] == ["central_tendency"]
    assert effects["E4"]["flags"] == ["inconsistent"]
    detail = effects["E1"]["flag_details"][0]
    assert detail["figures"]["z_min"] == 2.0 and detail["figures"]["deviation"] > 0.5
    assert len(data["d_study"]) == 8
    assert data["scale"] == [1.0, 5.0]


def test_phase_post_uses_the_moderated_rows(panel_csv):
    pre = json.loads(CliRunner().invoke(stats_command, [str(panel_csv), "--json"]).output)
    post = json.loads(CliRunner().invoke(stats_command, [str(panel_csv), "--json",
                                                         "--phase", "post"]).output)
    assert post["source"]["phase"] == "post"
    assert post["overall"]["alpha_interval"] > pre["overall"]["alpha_interval"]


def test_without_phase_column_all_rows_are_used(tmp_path):
    path = tmp_path / "nophase.csv"
    x = _write_panel(path, phases=False)
    data = read_long_csv(path)
    assert data.ratings.shape == x.shape
    np.testing.assert_array_equal(data.ratings, x)
    assert data.examiners[:2] == ("E1", "E2") and data.criteria[0] == "crit1"


def test_scale_option_and_inference(panel_csv):
    data = json.loads(CliRunner().invoke(stats_command, [str(panel_csv), "--json", "--scale",
                                                         "0", "10"]).output)
    assert data["scale"] == [0.0, 10.0]
    bad = CliRunner().invoke(stats_command, [str(panel_csv), "--scale", "2", "4"])
    assert bad.exit_code != 0 and "outside scale" in bad.output


@pytest.mark.parametrize("content,expected", [
    ("candidate,examiner,criterion,score\nc1,e1,k1,3\nc1,e2,k1,x\n", "row 3, column 'score'"),
    ("candidate,examiner,score\nc1,e1,3\n", "column 'criterion'"),
    ("candidate,examiner,criterion,score\nc1,e1,k1,3\nc1,e1,k1,4\n", "row 3"),
    ("candidate,examiner,criterion,score,phase\nc1,e1,k1,3,pre\nc1,e2,k1,3,during\n",
     "row 3, column 'phase'"),
    ("candidate,examiner,criterion,score\nc1,,k1,3\n", "row 2, column 'examiner'"),
    ("candidate,examiner,criterion,score\nc1,e1,k1\n", "row 2"),
    ("", "empty"),
    ("candidate,examiner,criterion,score\nc1,e1,k1,3\nc2,e2,k1,3\n", "cannot infer the scale"),
])
def test_bad_csv_names_row_and_column(tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = CliRunner().invoke(stats_command, [str(path)])
    assert result.exit_code != 0
    assert expected in result.output, result.output
    assert "Traceback" not in result.output


def test_bad_row_number_counts_skipped_phase_rows(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("candidate,examiner,criterion,score,phase\n"
                    "c1,e1,k1,3,post\nc1,e1,k1,3,pre\nc1,e2,k1,oops,pre\n")
    result = CliRunner().invoke(stats_command, [str(path)])
    assert "row 4, column 'score'" in result.output


def test_decimal_comma_and_blank_scores(tmp_path):
    path = tmp_path / "comma.csv"
    path.write_text('candidate,examiner,criterion,score\nc1,e1,k1,"3,5"\nc1,e2,k1,\n'
                    "c2,e1,k1,2\nc2,e2,k1,4\n")
    data = read_long_csv(path)
    assert data.ratings[0, 0, 0] == 3.5 and np.isnan(data.ratings[0, 1, 0])


LEGACY = Path(__file__).parent / "data" / "stats" / "legacy_panel.csv"

# The plain-data contract of PanelAnalysis.to_dict() that reports and the chair's page read.
TOP_KEYS = {"schema", "scale", "n_candidates", "n_examiners", "n_criteria", "n_scores",
            "missing_share", "examiners", "criteria", "overall", "per_criterion",
            "examiner_effects", "g_study", "d_study", "thresholds", "rasch", "flag_evidence",
            "source"}
COEFFICIENT_KEYS = {"label", "n_candidates", "icc", "alpha_interval", "alpha_ordinal",
                    "exact_agreement", "adjacent_agreement", "fleiss_kappa", "gwet_ac1",
                    "gwet_ac2_quadratic", "kendall_w", "notes"}
EFFECT_KEYS = {"examiner", "n", "n_candidates", "mean", "deviation", "se", "z",
               "rest_correlation", "slope", "sd_ratio", "middle_share", "panel_middle_share",
               "halo", "fit", "note", "flags", "flag_details", "gap", "watch", "watch_details",
               "evidence", "ci_low", "ci_high"}
ICC_FORM_KEYS = {"value", "ci_low", "ci_high", "f", "df1", "df2", "p"}


def test_legacy_export_with_bom_capitals_extra_columns_and_a_recusal():
    result = CliRunner().invoke(stats_command, [str(LEGACY), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == TOP_KEYS
    assert data["scale"] == [1.0, 4.0]
    assert data["examiners"] == ["Andi", "Budi", "Citra", "Dewi"]
    assert data["criteria"] == ["integritas", "kerjasama", "komunikasi"]
    assert data["n_scores"] == 12 * 4 * 3 - 3  # Citra recused from K-04
    assert set(data["overall"]) == COEFFICIENT_KEYS
    for c in data["per_criterion"]:
        assert set(c) == COEFFICIENT_KEYS
        assert set(c["icc"]["forms"]["ICC(2,1)"]) == ICC_FORM_KEYS
        assert c["icc"]["balanced"] is False  # the recusal makes the design unbalanced
    for e in data["examiner_effects"]:
        assert set(e) == EFFECT_KEYS
        assert isinstance(e["flags"], list)
    assert data["g_study"]["method"] == "henderson1"
    assert data["g_study"]["n_candidates"] == 12
    assert [r["n_examiners"] for r in data["d_study"]] == list(range(1, 9))


def test_legacy_export_text_report_runs():
    result = CliRunner().invoke(stats_command, [str(LEGACY), "--phase", "post"])
    assert result.exit_code == 0, result.output
    assert "(phase post)" in result.output and "integritas" in result.output


def test_json_text_parses_to_the_same_data_as_json_dumps(panel_csv):
    from scoring.cli.stats_commands import json_text

    result = CliRunner().invoke(stats_command, [str(panel_csv), "--json"])
    data = json.loads(result.output)
    assert data["rasch"]["candidates"], "the Rasch rows are written"
    assert json.loads(json_text(data)) == data
    lines = result.output.splitlines()
    assert sum(line.lstrip().startswith('{"id": ') for line in lines) >= len(
        data["rasch"]["candidates"]), "one line per Rasch element"
