"""One distribution, import names under ``leadcycle``; every built-in
plugin is packaged and registered through the entry-point group."""

import importlib.metadata
import pathlib
import tomllib

ROOT = pathlib.Path(__file__).parent.parent


def test_every_plugin_folder_is_packaged_and_registered():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = set(project["tool"]["setuptools"]["packages"])
    entry_points = project["project"]["entry-points"]["leadcycle"]
    folders = sorted(p.parent.name for p in (ROOT / "plugins").glob("*/__init__.py"))
    assert folders, "no plugin folders found"
    for name in folders:
        assert f"leadcycle.plugins.{name}" in packages
        assert entry_points.get(name) == f"leadcycle.plugins.{name}"
    sub = sorted(p.parent.relative_to(ROOT / "plugins") for p in (ROOT / "plugins").glob("*/*/__init__.py"))
    for rel in sub:
        assert "leadcycle.plugins." + ".".join(rel.parts) in packages


def test_no_top_level_core_cli_or_plugins_import_names():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert all(p == "leadcycle" or p.startswith("leadcycle.") for p in project["tool"]["setuptools"]["packages"])


def test_the_installed_entry_points_load():
    eps = {ep.name: ep for ep in importlib.metadata.entry_points(group="leadcycle")}
    assert "realestate" in eps
    for ep in eps.values():
        assert ep.load() is not None


def test_the_demo_runs(run, tmp_path):
    result = run("--db", str(tmp_path / "demo.db"), "demo", "--days", "14")
    assert result.exit_code == 0, result.output
    assert "By grade:" in result.output and "real estate" in result.output  # industries by their labels
    again = run("--db", str(tmp_path / "demo.db"), "demo")
    assert again.exit_code == 1 and "already exists" in again.output
