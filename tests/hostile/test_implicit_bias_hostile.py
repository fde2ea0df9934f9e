"""``tnverify implicit-bias`` with bad input: exit 2 and one line, before any descent, files untouched."""
from __future__ import annotations

import pytest

BAD = [
    (["--init-scale", "0"], "initialization scale > 0"),
    (["--init-scale=-1e-3"], "initialization scale > 0"),
    (["--init-scale", "nan"], "finite number"),
    (["--observed", "0"], "observed fraction in (0, 1]"),
    (["--observed", "1.5"], "observed fraction in (0, 1]"),
    (["--observed=-0.3"], "observed fraction in (0, 1]"),
    (["--observed", "1e-9"], "at least one"),
    (["--truth-rank", "11"], "truth rank between 1 and 10"),
    (["--truth-rank", "0"], "rank >= 1"),
    (["--components", "101"], "between 1 and 100 components"),
    (["--model", "ht", "--components", "11"], "between 1 and 10 components"),
    (["--shape", "10"], "order >= 2"),
    (["--shape", "0,10,10"], "not positive"),
    (["--shape", "10,,10"], "an empty entry"),
    (["--shape", "10,x,10"], "not an integer"),
    (["--threshold", "1"], "threshold in (0, 1)"),
    (["--step", "0"], "step size > 0"),
    (["--iterations", "0"], "an integer >= 1"),
    (["--grid", "0"], "an integer >= 1"),
    (["--model", "tucker"], "invalid choice"),
    (["--sweep-scales", "1e-3,,0.1"], "an empty entry"),
    (["--sweep-scales", "1e-3,-0.1", "--iterations", "10"], "initialization scale > 0"),
    (["--sweep-scales", "1e-3", "--cert", "c.json"], "--cert with a single run"),
    (["--plot", "figure.txt"], ".png"),
]


@pytest.mark.parametrize("argv, needle", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(cli, tmp_path, argv, needle):
    r = cli("implicit-bias", *argv, cwd=tmp_path)
    assert r.code == 2, (r.code, r.err[-2000:])
    assert r.one_line_error, r.err[-2000:]
    assert needle in r.err, r.err
    assert r.out == ""
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_step_that_overflows_is_one_line(cli, tmp_path):
    r = cli("implicit-bias", "--step", "1e6", "--iterations", "100", "--cert", tmp_path / "c.json", "--json")
    assert r.code == 2 and r.one_line_error and "lower --step" in r.err
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize("argv, words", [
    (["--shape", "100000,100000,100000"], "completion of a 100000 x 100000 x 100000 tensor"),
    (["--shape", "200,200,200", "--truth-rank", "2"], "gradient descent (cp, 10 components, 20000 steps)"),
    (["--iterations", "100000000000"], "gradient descent"),
    (["--sweep-scales", "1e-3,1e-2,0.1,1", "--iterations", "3000000000"], "a sweep over 4 initialization scales"),
])
def test_requests_over_the_budget_are_refused_at_once(cli, argv, words):
    r = cli("implicit-bias", *argv, timeout=20)
    assert r.code == 2 and r.one_line_error, r.err[-2000:]
    assert "needs about" in r.err and "--budget N" in r.err and words in r.err, r.err


def test_existing_output_files_are_left_alone_on_error(cli, tmp_path):
    keep = tmp_path / "run.csv"
    keep.write_text("mine\n")
    r = cli("implicit-bias", "--init-scale", "0", "-o", keep)
    assert r.code == 2 and keep.read_text() == "mine\n"
