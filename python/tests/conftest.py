import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def truth(name):
    """What Keras itself said about a fixture (fixtures/truth, written by the generators)."""
    return json.loads((FIXTURES / "truth" / f"{name}.json").read_text())


def console():
    """The venv's `kerascope` console command (installed by the wheel)."""
    exe = Path(sys.executable).parent / ("kerascope.exe" if os.name == "nt" else "kerascope")
    assert exe.exists(), f"{exe}: the wheel installs the kerascope command"
    return str(exe)


def cli(*args, cwd=ROOT):
    """Runs the console command from the repository root, piped (80 columns, no colour)."""
    env = dict(os.environ, NO_COLOR="1")
    env.pop("CLICOLOR_FORCE", None)
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [console(), *map(str, args)], cwd=cwd, capture_output=True, text=True, env=env
    )


def cli_json(*args):
    done = cli(*args, "--format", "json")
    return json.loads(done.stdout), done.returncode


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    # Paths are given relative to the repository root, as the CLI is run, so that labels
    # (the "file" fields) are the same on both sides.
    monkeypatch.chdir(ROOT)
