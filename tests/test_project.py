"""The project as a newcomer meets it: README commands, example recipes, docs links."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from automl import PluginRegistry, load_recipe
from automl.specs import SourceContext
from tests.conftest import ROOT

RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))


def _readme_bash_blocks() -> list[str]:
    return re.findall(
        r"```bash\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.DOTALL
    )


def test_readme_has_the_two_commands() -> None:
    install_and_run, test = _readme_bash_blocks()[:2]
    assert "pip install" in install_and_run
    assert "recipes/quickstart.yaml" in install_and_run
    assert "pip install" in test
    assert test.strip().endswith("pytest")
    assert '"torch' not in install_and_run or "[torch" in install_and_run


def test_ci_runs_the_readme_test_command() -> None:
    script = ROOT / ".ci" / "run"
    extract = re.search(r"command=\$\((.*)\)\n", script.read_text(encoding="utf-8"))
    assert extract is not None
    result = subprocess.run(
        ["bash", "-c", extract.group(1)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == _readme_bash_blocks()[1].strip()


@pytest.mark.parametrize("path", RECIPES, ids=[p.name for p in RECIPES])
def test_example_recipes_validate_and_load(
    path: Path, registry: PluginRegistry, request: pytest.FixtureRequest
) -> None:
    if path.stem == "http_example":
        request.getfixturevalue("example_api")
    resolved = load_recipe(path, registry)
    source = resolved.data_source
    frame = source.component.spec.factory(source.params, SourceContext(base_dir=resolved.base_dir))
    assert resolved.recipe.data.target in frame.columns
    assert len(frame) >= 500


def test_docs_links_resolve() -> None:
    for document in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = document.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (document.parent / target).exists(), f"{document.name} links to missing {target}"


def test_no_machine_paths_in_tracked_files() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    pattern = re.compile(r"/(work|root|home/\w+)/")
    offenders = [
        name
        for name in tracked
        if (ROOT / name).is_file()
        and name.endswith((".py", ".md", ".toml", ".yaml", ".yml", ".cfg", ".txt"))
        and pattern.search((ROOT / name).read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []


def test_public_api_resolves_and_is_sorted() -> None:
    import automl

    assert len(set(automl.__all__)) == len(automl.__all__)  # ruff (RUF022) keeps it sorted
    for name in automl.__all__:
        assert getattr(automl, name) is not None, name
    assert callable(automl.run)
    assert callable(automl.load_model)
