"""The `kerascope` console command installed by the wheel: the same CLI as the binary."""

import subprocess
import sys

import kerascope
from conftest import cli


def test_version_and_help():
    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout == f"kerascope {kerascope.__version__}\n"
    helped = cli("--help")
    assert helped.returncode == 0 and "summary" in helped.stdout


def test_summary_text():
    done = cli("summary", "fixtures/seed_lstm_4096.h5")
    assert done.returncode == 0
    # model.count_params() of tf_keras 2.21.0 (fixtures/truth/seed_lstm_4096.h5.json)
    assert "Total params: 4,457,472" in done.stdout


def test_exit_statuses():
    assert cli("check", "fixtures/k3_conv.keras").returncode == 0
    assert cli("check", "fixtures/hostile").returncode == 1
    unreadable = cli("summary", "fixtures/bad/random_bytes.h5")
    assert unreadable.returncode == 2
    assert "fixtures/bad/random_bytes.h5" in unreadable.stderr
    usage = cli("summary", "--no-such-flag", "x")
    assert usage.returncode == 2 and "--no-such-flag" in usage.stderr
    assert cli("check", "python/kerascope").returncode == 3


def test_python_dash_m():
    done = subprocess.run(
        [sys.executable, "-m", "kerascope", "formula", "LSTM", "units=256", "input_dim=4096"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "4,457,472" in done.stdout


def test_closed_pipe_is_quiet():
    # `kerascope rule | head -1`: the command stops on the closed pipe without a traceback.
    proc = subprocess.Popen(
        [sys.executable, "-m", "kerascope", "rule"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate()
    assert b"Traceback" not in err and b"panicked" not in err
