"""``tnverify learn`` refuses what the method cannot do, in one line with exit code 2, before any work:
too few samples (the message states the minimum), invalid widths, a sample count over the budget,
contradictory options. The overcomplete case is not bad input: it is answered (exit 3, status
``unknown``) with the proved reason, never with a silent recovery."""
from __future__ import annotations

import json
import time

import pytest

from tnverify.theory.moment_method import method_min_samples

#: Seconds within which a refusal must come (the interpreter starts in about 1.5 s).
QUICK = 15


@pytest.mark.parametrize("args, words", [
    (["--widths", "5,3", "--samples", "50"], f"at least {method_min_samples(5)} samples"),
    (["--widths", "5,3", "--samples=-5"], f"at least {method_min_samples(5)} samples"),
    (["--widths", "10,3", "--sweep", f"{method_min_samples(10) - 1},100000"], f"at least {method_min_samples(10)}"),
    (["--widths", "100000,2", "--samples", "1000"], "samples for the method of moments with 100000 inputs"),
    (["--widths", "0,3", "--samples", "1000"], "0 is not positive"),
    (["--widths", "5", "--samples", "1000"], "expected --widths D,K"),
    (["--widths", "5,3,2", "--samples", "1000"], "expected --widths D,K"),
    (["--widths", "5,x", "--samples", "1000"], "'x' is not an integer"),
    (["--widths", "5,3", "--samples", "100000000000"], "--budget N"),
    (["--widths", "3,2", "--samples", "1000", "--sweep", "1000,2000"], "not both"),
    (["--widths", "3,2", "--samples", "1000", "--repeats", "2"], "--repeats"),
    (["--widths", "3,2", "--sweep", "1000,2000,4000", "--repeats", "0"], "integer >= 1"),
    (["--widths", "3,2", "--samples", "1000", "--activation", "relu6"], "unknown activation"),
])
def test_bad_learn_input_is_one_line_exit_2(cli, args, words):
    t0 = time.perf_counter()
    r = cli("learn", *args)
    assert r.code == 2 and r.one_line_error, r.err
    assert words in r.err, r.err
    assert time.perf_counter() - t0 < QUICK


def test_too_few_samples_in_json_is_an_error_object(cli):
    r = cli("learn", "--widths", "4,2", "--samples", "20", "--json")
    d = json.loads(r.out)
    assert r.code == 2 and d["status"] == "error" and str(method_min_samples(4)) in d["message"]


def test_overcomplete_is_answered_with_the_proved_reason_not_a_recovery(cli):
    r = cli("learn", "--widths", "3,5", "--samples", "10000", "--json")
    d = json.loads(r.out)
    assert r.code == 3 and d["status"] == "unknown" and d["method_applies"] is False
    assert d["flattening_rank_upper"] == 3 and d["reason_proved"] and "rank is at most 3 < 5" in d["reason"]
    assert "higher-order moments" in d["needed"] and "recovered" not in d


def test_overcomplete_polynomial_network_gets_a_checked_flattening_rank(cli, tmp_path):
    net = tmp_path / "net.json"
    net.write_text(json.dumps({"weights": [[1, 0, 1, 2], [0, 1, 1, -1], [1, 1, 0, 1]], "bias": [1, 0, -1, 2],
                               "output": [1, -1, 2, 1], "activation": "cube"}))
    r = cli("learn", "--weights", net, "--samples", "10000", "--json")
    d = json.loads(r.out)
    assert r.code == 3 and d["checker"] == "VERIFIED" and d["flattening_rank"] == 3
