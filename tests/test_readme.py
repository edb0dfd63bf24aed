"""The README's Python examples run as written (on the SQLite default)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _run_example(heading: str, folder: Path) -> str:
    """Run the first Python block after ``heading`` in ``folder``, with no
    database configured; what it printed."""
    section = README.read_text().split(heading, 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    environment = {
        k: v for k, v in os.environ.items() if k not in ("CONVSTORE_URL", "DATABASE_URL")
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quick_reference_runs(tmp_path):
    _run_example("## Quick reference", tmp_path)
    assert (tmp_path / "conversations.db").is_file()


def test_adapter_operations_example_runs(tmp_path):
    heading = "## Threads, edits and items: what framework adapters need"
    for _ in range(2):  # the README says it prints the same when run again
        assert _run_example(heading, tmp_path) == "On it. ['message', 'reasoning'] True 2\n"


def test_attachments_example_runs(tmp_path):
    for _ in range(2):  # it erases what it made, so it prints the same again
        assert _run_example("### Attachments", tmp_path) == (
            "True {'url': None} 2048 image/png b'\\x00\\x01\\x02'\nNone\n"
        )


def test_branches_example_runs(tmp_path):
    for _ in range(2):  # it deletes what it made, so it prints the same again
        assert _run_example("## Branches: edit, regenerate, fork", tmp_path) == (
            "['Plan thre', 'Day 1: Al', 'Make it c', 'Walk inst']\n"
            "['Plan thre', 'Day 1: Al', 'Add a day', 'Day 4: Po']\n"
            "['Plan thre', 'Day 1: Al', 'Make it c', 'Buy a Viv']\n"
            "[(0, None), (1, 2), (1, 3)] True [1] 2\n"
        )


def test_langgraph_example_runs(tmp_path):
    assert _run_example("## LangGraph checkpoints", tmp_path) == (
        "[('user', 'Hi there'), ('assistant', 'Hello! How can I help?')]\n2 2\n"
    )


def test_openai_agents_example_runs(tmp_path):
    assert _run_example("## OpenAI Agents SDK sessions", tmp_path) == "1 ['assistant', 'tool']\n"


def test_pydantic_ai_example_runs(tmp_path):
    assert _run_example("## pydantic-ai histories", tmp_path) == "True 2\n"


def test_async_example_runs(tmp_path):
    assert _run_example("## The async API", tmp_path).split() == ["11", "11"]


def test_openai_format_example_runs(tmp_path):
    for _ in range(2):  # it deletes what it made, so it prints the same again
        assert _run_example("### The OpenAI chat format in full", tmp_path) == "low [1]\n"
