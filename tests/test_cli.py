"""Every command answers --help, and the README mentions each one."""
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main


def test_every_command_has_help():
    runner = CliRunner()
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    for name, command in main.commands.items():
        sub = runner.invoke(main, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)
        assert command.help, f"{name} has no help text"


def test_readme_mentions_every_command():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for name in main.commands:
        assert f"ofsted-watch {name}" in readme, f"README does not mention `ofsted-watch {name}`"
