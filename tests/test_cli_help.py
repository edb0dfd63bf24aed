"""Every subcommand has help text and appears in the README, and the README's
command-line section shows what the commands really print (its ``$`` lines
are run in a shell, in a fresh directory, and their output compared)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from convstore.cli.commands import _parser, main

README = Path(__file__).resolve().parent.parent / "README.md"
BIN = Path(sys.executable).parent


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def _summaries() -> dict[str, str]:
    parser = _parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {action.dest: action.help or "" for action in commands._choices_actions}


def _cli_section() -> str:
    text = README.read_text()
    return text.split("## The command line\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_subcommand_has_help(command, capsys):
    assert main([command, "--help"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"usage: convstore {command} ")
    description = _subcommands()[command].description
    assert description and description.strip(), f"{command} has no description"
    assert " ".join(description.split()) in " ".join(shown.split())
    assert _summaries()[command].strip(), f"{command} has no one-line summary"


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_subcommand_appears_in_the_readme(command):
    section = _cli_section()
    assert re.search(rf"^    {re.escape(command)}\b", section, re.M), (
        f"{command} is missing from the README's `convstore --help`"
    )
    assert f"convstore {command}" in README.read_text(), f"the README never shows {command}"


def test_the_readme_command_line_examples_print_what_it_says(tmp_path):
    environment = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "COLUMNS": "100",  # the width argparse wraps at
        "HOME": str(tmp_path),
    }
    blocks = re.findall(r"```text\n(\$ .*?)```", _cli_section(), re.S)
    assert len(blocks) >= 2
    for block in blocks:
        for command, expected in re.findall(r"^\$ (.*)\n((?:(?!\$ ).*\n)*)", block, re.M):
            done = subprocess.run(
                ["bash", "-c", command],
                cwd=tmp_path,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            assert done.stdout == expected, f"$ {command}"
