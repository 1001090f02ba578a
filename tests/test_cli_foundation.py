import json
import subprocess
import sys

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


def test_spaces_json(run_cli):
    rc, out, _ = run_cli("spaces", "--json")
    assert rc == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["nb201"]["size"] == 15625 and len(rows["cells"]["ops"]) == 13


def test_sample_json_is_reproducible_and_loadable(run_cli, tmp_path):
    rc, out, _ = run_cli("sample", "--space", "cells", "--seed", "4", "--json")
    assert rc == 0
    obj = json.loads(out)
    _rc2, out2, _ = run_cli("sample", "--space", "cells", "--seed", "4", "--json")
    assert json.loads(out2) == obj and obj["params"] > 0 and obj["macs"] > 0
    f = tmp_path / "s.json"
    f.write_text(out)
    rc, out, _ = run_cli("describe", "--space", "cells", "--genotype", f, "--json")
    assert rc == 0 and json.loads(out)["params"] == obj["params"]


def test_describe_repeated_arch_json_lines(run_cli):
    other = ARCH.replace("skip_connect~2", "none~2")
    rc, out, _ = run_cli("describe", "--space", "nb201", "--arch", ARCH, "--arch", other, "--json")
    assert rc == 0
    lines = [json.loads(x) for x in out.strip().splitlines()]
    assert [x["arch"] for x in lines] == [ARCH, other]
    assert lines[0]["params"] == 802_426 and lines[0]["macs"] > 1e8


def test_describe_layers(run_cli):
    rc, out, _ = run_cli("describe", "--space", "nb201", "--arch", ARCH, "--layers", "--json")
    rec = json.loads(out)
    assert rc == 0 and len(rec["layers"]) > 50
    assert sum(r["params"] for r in rec["layers"]) == rec["params"]
    assert sum(r["macs"] for r in rec["layers"]) == rec["macs"]


def test_bad_inputs_one_line_exit_2(run_cli, tmp_path):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"space": "cells", "normal": [')
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("kind: cells\nops: [a, b\n")
    cases = [
        (("sample", "--space", "nope"), "unknown space"),
        (("describe", "--space", "nb201", "--arch", "|warp~0|+|a~0|b~1|+|c~0|d~1|e~2|"), "unknown op 'warp'"),
        (("describe", "--space", "cells", "--genotype", bad_json), "malformed JSON"),
        (("describe", "--space", "cells", "--genotype", tmp_path / "missing.json"), "does not exist"),
        (("sample", "--space", bad_yaml), "malformed YAML"),
        (("describe", "--space", "nb201", "--arch", ARCH, "--input-size", "3x32"), "CxHxW"),
        (("sample", "--space", "cells", "--bogus"), "No such option"),
    ]
    for args, message in cases:
        rc, _out, err = run_cli(*args)
        assert rc == 2, (args, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert message in err, (message, err)


def test_console_script_runs_as_a_process():
    p = subprocess.run([sys.executable, "-m", "nasx.cli", "describe", "--space", "cells", "--arch", "{"],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 2 and p.stderr.startswith("nasx: error") and "Traceback" not in p.stderr
