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


def test_the_transfer_benchmark_baseline_copies_what_the_transfer_copies(
    sqlite_url, scratch_databases, user
):
    """``make bench-transfer`` times a plain COPY of the same rows; it must
    copy exactly what the transfer would, or the comparison means nothing."""
    import convstore
    from bench import transfer as bench_transfer
    from convstore.transfer import verify_transfer

    with convstore.connect(sqlite_url) as source:
        for n in range(3):
            conversation_id = source.create_conversation(user, title=f"t{n}")
            source.add_messages(conversation_id, [{"role": "user", "content": f"m{n}"}] * (n + 1))
    destination = scratch_databases.create()
    bench_transfer.plain_copy(sqlite_url, destination)
    report = verify_transfer(sqlite_url, destination)
    assert report.verified and report.conversations_checked == 3, report


def test_the_import_benchmarks_files_import_whole(tmp_path, capsys):
    """``make bench``'s import figures mean something only if its generated
    files import without a skipped conversation."""
    from bench import imports
    from convstore.cli import main

    url = f"sqlite:///{tmp_path / 'bench.db'}"
    imports.write_openai_jsonl(tmp_path / "openai.jsonl", 20)
    imports.write_chatgpt_export(tmp_path / "chatgpt.json", 20)
    assert main(["--url", url, "import", str(tmp_path / "openai.jsonl"), "--user", "b"]) == 0
    assert capsys.readouterr().out == "imported 20 new conversations, 120 new messages\n"
    assert main(["--url", url, "import", str(tmp_path / "chatgpt.json"), "--user", "b"]) == 0
    # 20 conversations, 2 of them with an edited question: a branch each
    assert capsys.readouterr().out == "imported 22 new conversations, 124 new messages\n"
