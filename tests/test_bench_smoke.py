"""The quick benchmark runs end to end and writes its table (speed targets are
read from `make bench`, not asserted here)."""

from __future__ import annotations

import json

from bench import run


def test_quick_benchmark_writes_its_results(tmp_path, scratch_databases):
    run.main(["--quick", "--out", str(tmp_path)])
    figures = json.loads((tmp_path / "results-quick.json").read_text())["results"]
    assert set(figures) == {"sqlite", "postgres"}
    for dialect_figures in figures.values():
        assert dialect_figures["messages in the table"] > 10_000
        assert dialect_figures["get_recent_context(4000) at 10,000 msgs, ms"] > 0
    assert (
        "| get_recent_context(4000) at 1,000 msgs, ms |"
        in (tmp_path / "results-quick.md").read_text()
    )
