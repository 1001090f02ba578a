"""`nasx bench`: the documented JSON shape, a sane random-search figure, one-line errors."""

import gzip
import json

import numpy as np

from nasx import bench


def test_bench_json_shape(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default plot goes to runs/bench-nb201.png under the cwd
    rc, out, err = run_cli("bench", "nb201", "--strategy", "random,pnas", "--queries", "25", "--seeds", "3",
                           "--json")
    assert rc == 0, err
    obj = json.loads(out)
    assert list(obj) == ["random", "pnas"]
    for row in obj.values():
        assert list(row) == ["25"] and set(row["25"]) == {"mean", "std"}
        assert 85.0 < row["25"]["mean"] <= 94.37 and row["25"]["std"] >= 0
    assert (tmp_path / "runs" / "bench-nb201.png").stat().st_size > 1000


def test_bench_table_output_and_checkpoints(run_cli, tmp_path):
    rc, out, _ = run_cli("bench", "nb201", "--strategy", "random,evolution", "--queries", "60", "--seeds", "4",
                         "--workers", "1", "--plot", tmp_path / "p.png")
    assert rc == 0 and "@25" in out and "@50" in out and "@100" not in out and "queries to 94" in out
    assert (tmp_path / "p.png").is_file()


def test_random_search_at_100_is_in_the_published_band():
    traces, _ = bench.run_bench("nb201", ["random"], seeds=30, queries=100, workers=1)
    s = bench.summarize_traces(traces, 94.0)["random"]
    assert 93.0 <= s["at"]["100"]["mean"] <= 94.37
    assert np.isfinite(traces["random"]).all() and traces["random"].shape == (30, 100)
    assert 0 < s["reached"] <= 1 and s["queries_to_target"] >= 1


def test_custom_table_and_errors(run_cli, tmp_path):
    t = bench.load_bench_table("nb201")
    good = tmp_path / "t.csv.gz"
    with gzip.open(good, "wt") as f:
        f.write("arch,val_acc_12ep,test_acc_200ep\n")
        for a in list(t.val)[:500]:
            f.write(f"{a},{t.val[a]},{t.test[a]}\n")
    rc, out, _ = run_cli("bench", "nb201", "--table", good, "--strategy", "random", "--queries", "25",
                         "--seeds", "2", "--workers", "1", "--plot", "", "--json")
    assert rc == 0 and set(json.loads(out)["random"]) == {"25"}  # cells not in the table are failed queries
    bad = tmp_path / "bad.csv"
    bad.write_text("arch,val_acc_12ep\n|x~0|,1\n")
    broken = tmp_path / "broken.csv"
    broken.write_text("arch,val_acc_12ep,test_acc_200ep\n|nor_conv_3x3~0|,1,2\n")
    for args in (["--table", tmp_path / "nope.csv"], ["--table", bad], ["--table", broken],
                 ["--strategy", "random,sgd"], ["--strategy", ","]):
        rc, out, err = run_cli("bench", "nb201", "--queries", "5", "--seeds", "1", "--plot", "", *args)
        assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1, (args, err)
    rc, _, err = run_cli("bench", "nb999")
    assert rc == 2 and len(err.strip().splitlines()) == 1
