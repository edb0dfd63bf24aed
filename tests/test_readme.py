"""The README's quick reference runs as written (on the SQLite default)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_quick_reference_runs(tmp_path):
    section = README.read_text().split("## Quick reference", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    environment = {
        k: v for k, v in os.environ.items() if k not in ("CONVSTORE_URL", "DATABASE_URL")
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "conversations.db").is_file()


def test_async_example_runs(tmp_path):
    section = README.read_text().split("## The async API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    environment = {
        k: v for k, v in os.environ.items() if k not in ("CONVSTORE_URL", "DATABASE_URL")
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["11", "11"]
