"""``layer-dim`` under hostile input: one line and exit 2 for bad layers, no hang and no blow-up for huge ones."""
from __future__ import annotations

import pytest

BASE = ["layer-dim", "--row-factors", "4,4", "--col-factors", "4,4"]

BAD = [
    (["--format", "tt", "--ranks", "100000"], "ranks <= 256"),
    (["--format", "tucker", "--ranks", "2,2,2"], "expected 2 rank(s) for tucker"),
    (["--format", "tt", "--ranks", "0"], "0 is not positive"),
    (["--format", "tt", "--ranks=-3"], "-3 is not positive"),
    (["--format", "tt", "--ranks", "2,,2"], "an empty entry"),
    (["--format", "mps", "--ranks", "2"], "expected a format cp, tucker, tt, tr, ht"),
    (["--format", "tt", "--ranks", "2", "--shape", "16,32"], "reshaping of the 16 x 32 layer"),
    (["--format", "tt", "--sweep", "1,2"], "-o FILE.csv and --plot FILE.png"),
    (["--format", "tt", "--sweep", "1,2,100000", "-o", "{tmp}/s.csv", "--plot", "{tmp}/s.png"], "ranks <= 256"),
    (["--format", "tt", "--ranks", "2", "-o", "{tmp}/s.csv"], "add --sweep"),
    (["--format", "tt"], "expected --ranks"),
]


@pytest.mark.parametrize("extra,needle", BAD, ids=[" ".join(e) for e, _ in BAD])
def test_bad_layers_exit_2_with_one_line(cli, tmp_path, extra, needle):
    r = cli(*BASE, *[a.format(tmp=tmp_path) for a in extra])
    assert r.code == 2 and r.one_line_error and needle in r.err, r.err
    assert not list(tmp_path.iterdir())  # nothing written


def test_a_reshaping_whose_product_is_not_the_layer_size(cli):
    r = cli("layer-dim", "--format", "tt", "--row-factors", "4,4,4,4,2", "--col-factors", "4,4,4,4,4",
            "--shape", "1024,1024", "--ranks", "4")
    assert r.code == 2 and r.one_line_error and "product 512" in r.err


def test_huge_factors_give_bounds_at_once(cli):
    r = cli("layer-dim", "--format", "tt", "--row-factors", "1000000000,1000000000", "--col-factors",
            "1000000000,1000000000", "--ranks", "3", "--json", timeout=30)
    assert r.code == 3 and "Traceback" not in r.err and '"status": "unknown"' in r.out


def test_a_huge_admissible_rank_is_reduced_not_allocated(cli):
    r = cli("layer-dim", "--format", "tt", "--row-factors", "64,64", "--col-factors", "64,64", "--ranks",
            "16000000", "--json", timeout=30)
    assert r.code == 3 and "Traceback" not in r.err and '"b0": 4096' in r.out


def test_an_output_that_is_a_folder_is_refused_before_work(cli, tmp_path):
    r = cli(*BASE, "--format", "tt", "--sweep", "1,2", "-o", tmp_path, "--plot", tmp_path / "s.png")
    assert r.code == 2 and r.one_line_error and "directory" in r.err
