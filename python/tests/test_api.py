"""The Python API on the committed fixtures: every expected number comes from Keras (the
fixtures' truth JSON) or from the CLI's own output for the same input."""

import io
import os
import pathlib
import threading

import pytest

import kerascope
from conftest import FIXTURES, cli, cli_json, truth

SEED = "fixtures/seed_lstm_4096.h5"
# model.count_params() of tf_keras 2.21.0 (fixtures/truth/seed_lstm_4096.h5.json)
SEED_PARAMS = 4457472


def _comparable(name):
    # Weights-only files need an architecture; a subclassed model's config builds nothing;
    # a layer with a note (LoRA, SpectralNormalization) stores other than count_params.
    keras = truth(name)
    return (
        "weights" not in name
        and "subclassed" not in name
        and not any(layer.get("note") for layer in keras["layers"])
    )


FULL_MODELS = sorted(
    name
    for name in (p.name[: -len(".json")] for p in (FIXTURES / "truth").glob("*.json"))
    if _comparable(name)
)


def test_the_issue_example():
    assert truth("seed_lstm_4096.h5")["count_params"] == SEED_PARAMS
    assert kerascope.summary(SEED).total_params == SEED_PARAMS


@pytest.mark.parametrize("name", FULL_MODELS)
def test_summary_totals_are_keras(name):
    keras = truth(name)
    s = kerascope.summary(FIXTURES / name)
    assert s.total_params == keras["count_params"]
    assert s.trainable_params == keras["trainable_params"]
    assert s.non_trainable_params == keras["non_trainable_params"]
    assert [layer.name for layer in s.layers if layer["class"] != "InputLayer"] == [
        layer["name"] for layer in keras["layers"] if layer["class"] != "InputLayer"
    ]


def test_weights_only_with_config():
    name = "k3_sequential_basic"
    keras = truth(f"{name}.weights.h5")
    s = kerascope.summary(f"fixtures/{name}.weights.h5", config=f"fixtures/{name}.keras")
    assert s.total_params == keras["count_params"]
    # The same architecture as a dict (json.loads(model.to_json()) would give one).
    config = kerascope.inspect(f"fixtures/{name}.keras").files[0]
    assert config.has_model_config
    with pytest.raises(kerascope.KerascopeError, match="class_name"):
        kerascope.summary(f"fixtures/{name}.weights.h5", config={"no": "class"})
    with pytest.raises(TypeError, match="config"):
        kerascope.summary(SEED, config=3)


@pytest.mark.parametrize(
    ("make", "label"),
    [
        (bytes, "<bytes>"),
        (bytearray, "<bytes>"),
        (memoryview, "<bytes>"),
        (io.BytesIO, "<stream>"),
    ],
    ids=["bytes", "bytearray", "memoryview", "BytesIO"],
)
def test_sources_in_memory(make, label):
    data = (FIXTURES / "seed_lstm_4096.h5").read_bytes()
    got = kerascope.summary(make(data)).to_dict()
    by_path = kerascope.summary(SEED).to_dict()
    assert (got.pop("file"), by_path.pop("file")) == (label, SEED)
    assert got == by_path
    inspected = kerascope.inspect(make(data)).files[0]
    assert (inspected.file, inspected.stored_params) == (label, SEED_PARAMS)


def test_file_object_and_pathlike():
    with open(SEED, "rb") as f:
        s = kerascope.summary(f)
    assert s.file == SEED and s.total_params == SEED_PARAMS
    assert kerascope.summary(pathlib.Path(SEED)).to_dict() == kerascope.summary(SEED).to_dict()
    with open(SEED, "r", encoding="latin-1") as f, pytest.raises(TypeError, match="binary"):
        kerascope.summary(f)


def test_sharded_weights_by_path():
    keras = truth("k3_sharded.weights.json")
    s = kerascope.inspect("fixtures/k3_sharded.weights.json")
    assert s.format == keras["format"]


def test_summary_matches_cli():
    document, status = cli_json("summary", SEED)
    assert status == 0
    s = kerascope.summary(SEED)
    assert s.to_dict() == document
    assert s.schema == "kerascope.summary/1"
    assert str(s) == cli("summary", SEED).stdout
    layer = s.layers[0]
    assert (layer.name, layer["class"], layer.params) == ("lstm", "LSTM", SEED_PARAMS)
    assert layer.to_dict()["output_shape"] == [None, 256]


def test_inspect_matches_cli():
    for path in [SEED, "fixtures/k3_conv.keras"]:
        document, status = cli_json("inspect", path)
        assert status == 0
        i = kerascope.inspect(path)
        assert i.to_dict() == document
        assert str(i) == cli("inspect", path).stdout
        assert i.format == document["files"][0]["format"]


def _without_timings(document):
    for entry in document["files"]:
        entry.pop("seconds", None)
    return document


def test_check_matches_cli():
    paths = ["fixtures/hostile", "fixtures/k3_conv.keras"]
    document, status = cli_json("check", *paths)
    report = kerascope.check(paths)
    assert _without_timings(report.to_dict()) == _without_timings(document)
    assert report.exit_code == status == 1
    assert report.totals.findings == document["totals"]["findings"] > 0
    assert report.totals.findings_by_severity.error == 79
    text = cli("check", *paths).stdout
    assert _without_slowest(str(report)) == _without_slowest(text)
    assert str(report).endswith("exit 1: 79 findings at or above error (--fail-on error)\n")


def _without_slowest(text):
    # The closing table's "slowest:" lines are timings; the rest is the CLI's text.
    head, _, tail = text.partition("slowest:\n")
    return head + tail[tail.index("largest:") :]


def test_check_options():
    assert kerascope.check("fixtures/k3_conv.keras").exit_code == 0
    assert kerascope.check(["fixtures/hostile"], fail_on="never").exit_code == 0
    assert kerascope.check(["fixtures/hostile"], jobs=1).exit_code == 1
    deep = kerascope.check([pathlib.Path("fixtures/k3_conv.keras")], deep=True)
    assert deep.files[0].status in ("clean", "findings")
    assert kerascope.check(["fixtures/no-such-dir"]).exit_code == 2
    with pytest.raises(kerascope.KerascopeError, match="fail_on"):
        kerascope.check(SEED, fail_on="sometimes")
    with pytest.raises(TypeError, match="paths"):
        kerascope.check(5)
    with pytest.raises(TypeError, match="paths"):
        kerascope.check([5])
    with pytest.raises(TypeError, match="jobs"):
        kerascope.check(SEED, jobs=0)


def test_formula_matches_cli():
    f = kerascope.formula("LSTM", units=256, input_dim=4096)
    document, status = cli_json("formula", "LSTM", "units=256", "input_dim=4096")
    assert status == 0 and f.to_dict() == document
    assert str(f) == cli("formula", "LSTM", "units=256", "input_dim=4096").stdout
    conv = kerascope.formula("Conv2D", filters=32, kernel_size=(3, 3), input_shape=(28, 28, 1))
    document, _ = cli_json(
        "formula", "Conv2D", "filters=32", "kernel_size=3,3", "input_shape=28,28,1"
    )
    assert conv.to_dict() == document
    with pytest.raises(kerascope.KerascopeError, match="units"):
        kerascope.formula("LSTM", unitz=256, input_dim=4096)
    with pytest.raises(TypeError, match="class_name"):
        kerascope.formula(5)
    with pytest.raises(TypeError, match="units"):
        kerascope.formula("Dense", units=1.5)


def test_verify_matches_cli():
    summary = FIXTURES / "summaries" / "seed_lstm_4096.h5.keras2.txt"
    label = os.path.relpath(summary)
    document, status = cli_json("verify", SEED, "--summary", label)
    v = kerascope.verify(SEED, pathlib.Path(label))
    assert v.to_dict() == document
    assert v.matches is (status == 0) is True
    assert str(v) == cli("verify", SEED, "--summary", label).stdout
    as_text = kerascope.verify(SEED, summary.read_text())
    assert as_text.matches
    alone = kerascope.verify(None, summary.read_text())
    assert alone.to_dict()["schema"] == "kerascope.verify/1"
    with pytest.raises(TypeError, match="summary_text"):
        kerascope.verify(SEED, b"bytes")
    with pytest.raises(kerascope.KerascopeError, match="no-such-summary.txt"):
        kerascope.verify(SEED, pathlib.Path("fixtures/no-such-summary.txt"))


def test_diff_matches_cli():
    a, b = "fixtures/k3_conv.keras", "fixtures/k3_sequential_basic.keras"
    document, status = cli_json("diff", a, b)
    d = kerascope.diff(a, b)
    assert d.to_dict() == document and status == 1 and d.equivalent is False
    assert str(d) == cli("diff", a, b).stdout
    assert kerascope.diff(a, pathlib.Path(a)).equivalent
    with pytest.raises(TypeError, match="^b "):
        kerascope.diff(a, 3)


def test_rule_matches_cli():
    document, _ = cli_json("rule", "S101")
    r = kerascope.rule("S101")
    assert r.to_dict() == document and r.rules[0].code == "S101"
    assert str(r) == cli("rule", "S101").stdout
    assert kerascope.rule().to_dict() == cli_json("rule")[0]
    assert str(kerascope.rule()) == cli("rule").stdout
    with pytest.raises(kerascope.KerascopeError, match="X999"):
        kerascope.rule("X999")


def test_errors_name_the_input():
    with pytest.raises(kerascope.KerascopeError, match="fixtures/bad/random_bytes.h5"):
        kerascope.summary("fixtures/bad/random_bytes.h5")
    with pytest.raises(kerascope.KerascopeError, match="^<bytes>: "):
        kerascope.summary(b"not a model")
    with pytest.raises(ValueError, match="no-such-file"):
        kerascope.summary("fixtures/no-such-file.h5")
    assert issubclass(kerascope.KerascopeError, ValueError)
    with pytest.raises(TypeError, match="^src must be a path"):
        kerascope.summary(42)
    with pytest.raises(TypeError, match="^src must be a path"):
        kerascope.inspect(None)


@pytest.mark.parametrize(
    "path",
    sorted(
        str(p.relative_to(FIXTURES.parent))
        for folder in ("bad", "hostile", "mutants", "crashes")
        if (FIXTURES / folder).is_dir()
        for p in (FIXTURES / folder).iterdir()
        if p.is_file() and p.suffix not in (".md", ".json")
    ),
)
def test_hostile_and_bad_files_never_crash(path):
    data = pathlib.Path(path).read_bytes()
    for src in (path, data):
        for call in (kerascope.summary, kerascope.inspect):
            try:
                result = call(src)
            except kerascope.KerascopeError as e:
                assert str(e)
            else:
                assert result.to_dict()["schema"].startswith("kerascope.")


def test_repr_html():
    html = kerascope.summary(SEED)._repr_html_()
    assert "<table>" in html and "lstm (LSTM)" in html and "4,457,472" in html
    assert "seed_lstm" in html
    hostile = "fixtures/hostile/k3_s101_lambda_top.keras"
    assert "S101" in kerascope.summary(hostile)._repr_html_()
    report = kerascope.check(["fixtures/hostile"])._repr_html_()
    assert "S101" in report and "exit 1" in report
    escaped = kerascope.rule("S101")._repr_html_()
    assert escaped.startswith("<pre>") and "<script" not in escaped


def test_results_are_records():
    s = kerascope.summary(SEED)
    assert "total_params" in s and "total_params" in dir(s)
    with pytest.raises(AttributeError, match="no field"):
        s.no_such_field
    first = s.to_dict()
    first["layers"].clear()
    assert s.to_dict()["layers"], "to_dict() returns a copy"
    assert repr(s) == "<kerascope.Summary kerascope.summary/1>"


def test_threads_share_the_work():
    # Not timed (scripts/bench_python.py measures the scaling): runs in parallel threads
    # give the same answers.
    results = [None] * 4

    def work(i):
        results[i] = kerascope.summary(SEED).total_params

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [SEED_PARAMS] * 4


def test_version():
    assert kerascope.__version__ == cli("--version").stdout.split()[-1]
