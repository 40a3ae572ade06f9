"""The fast `scoring stats` path: no web stack, a vectorised CSV reader, DataFrame input."""

import io
import json
import subprocess
import sys

import numpy as np
import pytest

from scoring.stats import LongFormatError, long_to_arrays, read_long_csv, read_long_frame

try:
    from tests import stats_rowreader as oracle
except ImportError:  # pragma: no cover
    import stats_rowreader as oracle

HEADER = "candidate,examiner,criterion,score,phase\n"


def _small_csv(tmp_path):
    rng = np.random.default_rng(2)
    lines = [HEADER]
    for i in range(12):
        for j in range(3):
            for c in range(2):
                lines.append(f"C{i},E{j},K{c},{rng.integers(1, 5)},pre\n")
    path = tmp_path / "small.csv"
    path.write_text("".join(lines))
    return path


# Runs the installed `scoring` console script's function, as `scoring stats FILE --json` does,
# and reports which heavy modules it loaded.
PROBE = """
import sys
from importlib.metadata import entry_points
main = entry_points(group="console_scripts")["scoring"].load()
sys.argv = ["scoring", "stats", sys.argv[1], "--json"]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = ("flask", "sqlalchemy", "weasyprint", "flask_babel", "pyhanko", "pandas")
print("LOADED:" + ",".join(m for m in heavy if m in sys.modules), file=sys.stderr)
sys.exit(code)
"""


def test_stats_command_loads_no_web_stack_and_warns_nothing(tmp_path):
    path = _small_csv(tmp_path)
    env_free = {"SCORING_INSTANCE_PATH": str(tmp_path / "instance")}
    result = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True,
                            text=True, env={**_env(), **env_free}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n_candidates"] == 12
    loaded = [line for line in result.stderr.splitlines() if line.startswith("LOADED:")]
    assert loaded == ["LOADED:"], result.stderr
    assert "SECRET_KEY" not in result.stderr


def test_scoring_help_still_lists_stats(tmp_path):
    probe = ("import sys\nfrom importlib.metadata import entry_points\n"
             "main = entry_points(group='console_scripts')['scoring'].load()\n"
             "sys.argv = ['scoring', '--help']\nmain()\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env={**_env(), "SCORING_INSTANCE_PATH": str(tmp_path / "i")},
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "stats" in result.stdout and "Analyse examiner agreement" in result.stdout


def _env():
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("SCORING_")}


def _random_csv(rng) -> str:
    """Return a small long CSV with the quirks real exports have, sometimes broken."""
    phase = rng.random() < 0.5
    cols = ["candidate", "examiner", "criterion", "score"] + (["phase"] if phase else [])
    if rng.random() < 0.3:
        cols.insert(int(rng.integers(0, len(cols) + 1)), "note")
    if rng.random() < 0.2:
        cols = [c.upper() if rng.random() < 0.5 else c for c in cols]
    lines = [",".join(cols)]
    n, k, c = (int(v) for v in rng.integers(1, 5, size=3))
    for i in range(n):
        for j in range(k):
            for q in range(c):
                rec = {"candidate": f"C{i}", "examiner": f"Exam {j}", "criterion": f"K{q}",
                       "score": str(int(rng.integers(1, 6))), "phase": "pre", "note": "ok"}
                if rng.random() < 0.1:
                    rec["score"] = ""
                if rng.random() < 0.1:
                    rec["candidate"] = f"  C{i} "
                if phase and rng.random() < 0.3:
                    rec["phase"] = rng.choice(["post", "PRE", " pre"])
                row = [rec[name.lower()] for name in cols]
                lines.append(",".join(row))
                if rng.random() < 0.05:
                    lines.append(rng.choice(["", " ", ",,,"]))
    lines = _break(rng, lines, cols)
    text = "\n".join(lines) + ("\n" if rng.random() < 0.8 else "")
    if rng.random() < 0.1:
        text = text.replace("\n", "\r\n")
    if rng.random() < 0.1:
        text = "\ufeff" + text
    return text


def _break(rng, lines, cols):
    if len(lines) < 3 or rng.random() < 0.4:
        return lines
    i = int(rng.integers(1, len(lines)))
    fields = lines[i].split(",")
    kind = rng.integers(0, 9)
    at = {name.lower(): p for p, name in enumerate(cols)}
    if kind == 0 and len(fields) == len(cols):
        fields[at["score"]] = rng.choice(["x", "inf", "3.5", '"3,5"', "-1", " 4 "])
    elif kind == 1 and len(fields) == len(cols):
        fields[at["examiner"]] = rng.choice(["", " "])
    elif kind == 2:
        lines.insert(i, lines[i])  # a duplicate record
    elif kind == 3:
        fields = fields[:-1]
    elif kind == 4 and "phase" in at and len(fields) == len(cols):
        fields[at["phase"]] = "during"
    elif kind == 5:
        fields.append("extra")
    elif kind == 6 and len(fields) == len(cols):
        fields[at["candidate"]] = '"Smith, J."'
    elif kind == 7 and len(fields) == len(cols):
        fields[at["criterion"]] = "Kriteria é"
    else:
        return lines[:1]  # a header alone
    lines[i] = ",".join(fields)
    return lines


def _outcome(read, text, phase):
    try:
        got = read(io.StringIO(text), phase=phase)
    except LongFormatError as exc:
        return ("error", str(exc))
    return ("ok", got.ratings.tolist(), got.candidates, got.examiners, got.criteria)


def test_vectorised_reader_agrees_with_the_row_by_row_reader():
    rng = np.random.default_rng(20261201)
    errors = 0
    for case in range(400):
        text = _random_csv(rng)
        for phase in ("pre", "post"):
            new, old = _outcome(read_long_csv, text, phase), _outcome(oracle.read_long_csv,
                                                                      text, phase)
            new_cmp = json.dumps(new, default=str).replace("NaN", "nan")
            old_cmp = json.dumps(old, default=str).replace("NaN", "nan")
            assert new_cmp == old_cmp, f"case {case}, phase {phase}:\n{text}"
            errors += new[0] == "error"
    assert 100 < errors < 700  # both outcomes were exercised


def test_plain_and_quoted_files_give_the_same_arrays(tmp_path):
    plain = "candidate,examiner,criterion,score\nc1,e1,k1,3\nc1,e2,k1,4\nc2,e1,k1,2\n"
    quoted = ('candidate,examiner,criterion,score\n"c1",e1,k1,3\nc1,"e2",k1,4\n'
              'c2,e1,"k1",2\n')
    a, b = read_long_csv(io.StringIO(plain)), read_long_csv(io.StringIO(quoted))
    np.testing.assert_array_equal(a.ratings, b.ratings)
    assert a.candidates == b.candidates == ("c1", "c2")


def test_a_file_that_is_not_utf8_names_the_row(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("candidate,examiner,criterion,score\nc1,e1,k1,3\nc1,Andr\xe9,k1,4\n"
                     .encode("latin-1"))
    with pytest.raises(LongFormatError, match="row 3: the file is not UTF-8"):
        read_long_csv(path)


def test_long_scores_and_many_digits_are_read_exactly(tmp_path):
    text = "candidate,examiner,criterion,score\nc1,e1,k1,100\nc1,e2,k1,07\nc2,e1,k1,2.25\n"
    data = read_long_csv(io.StringIO(text))
    assert data.ratings[0, 0, 0] == 100 and data.ratings[0, 1, 0] == 7
    assert data.ratings[1, 0, 0] == 2.25
    ints = "candidate,examiner,criterion,score\nc1,e1,k1,100\nc1,e2,k1,07\nc2,e1,k1,9\n"
    assert read_long_csv(io.StringIO(ints)).ratings[0, 1, 0] == 7


def _frame_rows():
    return [
        {"Candidate": 101, "examiner": "Andi", "criterion": "KOM", "score": 3, "phase": "pre"},
        {"Candidate": 101, "examiner": "Budi", "criterion": "KOM", "score": None,
         "phase": "pre"},
        {"Candidate": 102, "examiner": "Andi", "criterion": "KOM", "score": 4, "phase": "pre"},
        {"Candidate": 102, "examiner": "Budi", "criterion": "KOM", "score": 2, "phase": "post"},
        {"Candidate": 102, "examiner": " Budi ", "criterion": "KOM", "score": 1,
         "phase": "pre"},
    ]


def test_pandas_dataframe_is_read_like_the_csv():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(_frame_rows())
    data = read_long_frame(df)
    assert data.candidates == ("101", "102") and data.examiners == ("Andi", "Budi")
    assert data.ratings[:, :, 0].tolist()[0][0] == 3 and np.isnan(data.ratings[0, 1, 0])
    assert data.ratings[1, 1, 0] == 1  # the post row was left out
    every = long_to_arrays(df.drop(columns="phase").iloc[[0, 1, 2, 4]])
    np.testing.assert_array_equal(every.ratings, data.ratings)
    text = df.to_csv(index=False)
    from_csv = read_long_csv(io.StringIO(text))
    np.testing.assert_array_equal(from_csv.ratings, data.ratings)


def test_pandas_dataframe_errors_name_row_and_column():
    pd = pytest.importorskip("pandas")
    rows = _frame_rows()
    rows[2]["score"] = "x"
    with pytest.raises(LongFormatError, match=r"row 3, column 'score': score 'x' is not"):
        read_long_frame(pd.DataFrame(rows))
    rows = _frame_rows()
    rows[3]["phase"] = "during"
    with pytest.raises(LongFormatError, match=r"row 4, column 'phase'"):
        read_long_frame(pd.DataFrame(rows))
    with pytest.raises(LongFormatError, match="lacks column"):
        read_long_frame(pd.DataFrame(rows).drop(columns="criterion"))
    rows = _frame_rows()
    rows[4]["examiner"] = "Budi"
    rows[4]["phase"] = "pre"
    rows[3]["phase"] = "pre"
    with pytest.raises(LongFormatError, match=r"row 5: duplicate score for candidate 102"):
        read_long_frame(pd.DataFrame(rows))
    with pytest.raises(ValueError, match="must be a DataFrame"):
        read_long_frame([1, 2, 3])


def test_polars_dataframe_when_installed():
    pl = pytest.importorskip("polars")
    data = read_long_frame(pl.DataFrame(_frame_rows()))
    assert data.candidates == ("101", "102") and data.ratings[1, 1, 0] == 1


def test_average_ranks_equal_scipy_rankdata():
    from scipy import stats

    from scoring.stats.kendall import _average_ranks

    rng = np.random.default_rng(9)
    for _ in range(100):
        x = rng.integers(1, 5, size=(int(rng.integers(2, 30)), int(rng.integers(1, 6))))
        np.testing.assert_array_equal(_average_ranks(x.astype(float)),
                                      stats.rankdata(x, axis=0))
