"""A non-editable install carries the SQL files and migrations and works."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

USE_INSTALLED_COPY = """
import sys, convstore
assert convstore.__file__.startswith(sys.argv[1]), convstore.__file__
store = convstore.connect("sqlite:///installed.db")
conversation_id = store.create_conversation("u")
store.add_message(conversation_id, "user", "from the wheel", tokens=3)
print(store.get_recent_context(conversation_id, max_tokens=10)[0]["content"])
"""


def test_wheel_carries_sql_and_migrations_and_runs_outside_the_repo(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("convstore-*.whl")
    packaged = set(zipfile.ZipFile(wheel).namelist())
    in_repo = {
        f"convstore/{path.relative_to(ROOT).as_posix()}"
        for folder in ("sql", "migrations")
        for path in (ROOT / folder).rglob("*.sql")
    }
    assert in_repo and in_repo <= packaged
    assert "convstore/py.typed" in packaged

    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    run = subprocess.run(
        [sys.executable, "-c", USE_INSTALLED_COPY, str(site)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "from the wheel"
