"""The README documents every setting and the two set-up commands CI relies on."""

from __future__ import annotations

from core.settings import REPO_ROOT, Settings

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    missing = [name.upper() for name in Settings.model_fields if name.upper() not in README]
    assert missing == [], f"settings missing from README.md: {missing}"


def test_readme_gives_the_two_setup_commands_and_ci_runs_the_test_one() -> None:
    assert "make run" in README and "make test" in README
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_install_shows_pip_progress_and_the_readme_says_what_it_downloads() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line for line in makefile.splitlines() if "pip install" in line and "-e " in line]
    assert installs and not [line for line in installs if "--quiet" in line or " -q " in line]
    setup = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    assert "make run" in setup and "GB" in setup and "torch" in setup
