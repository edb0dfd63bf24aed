"""The quick benchmark runs end to end and writes its table (speed targets are
read from `make bench`, not asserted here)."""

from __future__ import annotations

import dataclasses
import json

from bench import run


def test_quick_benchmark_writes_its_results(tmp_path, scratch_databases, monkeypatch):
    smaller = dataclasses.replace(
        run.QUICK,
        list_sizes=(10, 100),
        thread_appends=32,
        search_users=5,
        search_messages_each=50,
        concurrent_rounds=1,
        langgraph_lengths=(10,),
        langgraph_turns=2,
    )
    monkeypatch.setattr(run, "QUICK", smaller)
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


def test_quick_attachments_benchmark_writes_its_table(tmp_path, scratch_databases):
    """``make bench``'s attachments figures: the quick run reads the
    conversation each way on both databases and writes both tables."""
    from bench import attachments

    attachments.main(["--quick", "--out", str(tmp_path)])
    report = (tmp_path / "attachments-results-quick.md").read_text()
    assert (
        "| read of the whole conversation | SQLite ms | SQLite bytes read "
        "| PostgreSQL ms | PostgreSQL bytes read |" in report
    )
    for label in attachments.READS:
        assert f"| {label} | " in report
    assert "| stored | SQLite bytes | PostgreSQL bytes |" in report


def test_quick_writes_benchmark_writes_its_table(tmp_path, scratch_databases, monkeypatch):
    """``make bench``'s "writes" table: every row beside its baseline, on both
    databases and both message sizes."""
    from bench import writes

    monkeypatch.setattr(writes, "QUICK", writes.Plan(appends=6, batch=20, read_repeats=4))
    writes.main(["--quick", "--out", str(tmp_path)])
    report = (tmp_path / "writes-results-quick.md").read_text()
    assert "| figure | sqlite ~1 KB | sqlite ~4 KB | postgres ~1 KB | postgres ~4 KB |" in report
    for row in (
        "add_message / peers' INSERT, x",
        "add_messages / peers' COPY, x",
        "add_messages / peers' executemany, one transaction, x",
        "add_message search off / on, x",
        "get_messages(limit=50) / by hand, x",
    ):
        assert f"| {row} | " in report
