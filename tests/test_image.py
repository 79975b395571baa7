"""The Docker image holds everything its commands need, judged from the Dockerfile's own COPY lines.

No Docker engine runs here, so the image's ``/app`` is rebuilt in a temporary folder from the
Dockerfile's ``COPY`` lines (``.dockerignore`` applied) and used as the image would be, on the
packages ``requirements.txt`` installs:

- every import in every copied module, the lazy ones inside ``cli.py``'s commands included, names a
  module the copy holds, or the standard library, or a distribution ``requirements.txt`` installs
  (with what those depend on); a test-only package (selenium, PyYAML...) would not do;
- every module imports in the copy (the dashboard's page scripts, which draw when run, excepted);
- ``python cli.py --help``, every command's and sub-command's ``--help`` and ``demo --help`` answer.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = {p.stem for p in ROOT.glob("*.py")} | {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()
                                                   or p.name in ("tests", "bench", "simulate")}


def _ignored(rel: str, patterns: list[str]) -> bool:
    """Whether Docker leaves ``rel`` (relative to the context) out: a pattern is matched from the context's
    root (``data`` is ./data, not reference/data), against the path or a directory above it; ``**/x``
    matches ``x`` at any depth."""
    parts = PurePosixPath(rel).parts
    for pattern in (p.strip("/") for p in patterns):
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatch(part, pattern[3:]) for part in parts):
                return True
        elif any(fnmatch.fnmatch("/".join(parts[:i]), pattern) for i in range(1, len(parts) + 1)):
            return True
    return False


def image_files() -> dict[str, Path]:
    """What the image's /app holds, from the Dockerfile's COPY lines: path in /app -> file in the repository."""
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found: dict[str, Path] = {}
    for line in text.splitlines():
        if not line.startswith("COPY "):
            continue
        *sources, dest = [a for a in line.split()[1:] if not a.startswith("--")]
        for src in sources:
            path = ROOT / src
            assert path.exists(), f"Dockerfile copies {src}, which does not exist"
            if path.is_dir():
                for f in path.rglob("*"):
                    rel = f.relative_to(path).as_posix()
                    if f.is_file() and not _ignored(f.relative_to(ROOT).as_posix(), patterns):
                        found[str(PurePosixPath(dest) / rel)] = f
            else:
                into_folder = dest.endswith("/") or dest == "." or len(sources) > 1
                target = PurePosixPath(dest) / path.name if into_folder else PurePosixPath(dest)
                found[str(target)] = path
    return {str(PurePosixPath(k)).removeprefix("./"): v for k, v in found.items()}


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app = tmp_path_factory.mktemp("image") / "app"
    for rel, src in image_files().items():
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, app / rel)
    return app


def _run(app: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python ARGS`` in the copy, as the image runs it (no repository on the path, no SURGEWATCH_* settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SURGEWATCH_", "PYTHONPATH"))}
    return subprocess.run([sys.executable, *args], cwd=app, env=env, capture_output=True, text=True, timeout=timeout)


def _installed_by_requirements() -> set[str]:
    """Distributions requirements.txt installs, with everything they depend on (normalised names)."""
    norm = lambda name: re.sub(r"[-_.]+", "-", name).lower()  # noqa: E731
    todo = [norm(re.split(r"[<>=!~\[; ]", line.strip())[0]) for line in (ROOT / "requirements.txt").read_text()
            .splitlines() if line.strip() and not line.startswith(("#", "-"))]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            needs = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [norm(re.split(r"[<>=!~\[; (]", r)[0]) for r in needs if "extra ==" not in r]
    return seen


def _module_exists(app: Path, dotted: str) -> bool:
    base = app.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _has_name(app: Path, module: str, name: str | None) -> bool:
    """Whether ``from module import name`` finds ``name``: a sub-module, or a name the package's __init__ binds."""
    folder = app.joinpath(*module.split("."))
    if not name or not folder.is_dir() or _module_exists(app, f"{module}.{name}"):
        return True
    return re.search(rf"\b{re.escape(name)}\b", (folder / "__init__.py").read_text()) is not None


def _imports(app: Path, path: Path) -> list[tuple[int, str, str | None]]:
    """(line, module, imported name) of each import of ``path``, relative ones resolved; lazy ones included."""
    package = path.parent.relative_to(app).parts
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(package[:len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            out += [(node.lineno, module, a.name) for a in node.names]
    return out


def test_every_import_of_every_module_in_the_image_is_there(image: Path) -> None:
    installed = _installed_by_requirements()
    dists = {top: {re.sub(r"[-_.]+", "-", d).lower() for d in names}
             for top, names in metadata.packages_distributions().items()}
    missing = []
    for path in sorted(image.rglob("*.py")):
        for line, module, name in _imports(image, path):
            top = module.split(".")[0]
            where = f"{path.relative_to(image)}:{line} imports {module}{'.' + name if name else ''}"
            if top in FIRST_PARTY:
                if not _module_exists(image, module) or not _has_name(image, module, name):
                    missing.append(f"{where}: not in the image")
            elif top != "__future__" and top not in sys.stdlib_module_names and not dists.get(top, set()) & installed:
                missing.append(f"{where}: not installed by requirements.txt")
    assert not missing, "\n".join(missing)


def test_every_module_of_the_image_imports_there(image: Path) -> None:
    pages = set(re.findall(r'st\.Page\("([^"]+)"', (image / "app.py").read_text()))
    modules = [".".join(p.relative_to(image).with_suffix("").parts).removesuffix(".__init__")
               for p in sorted(image.rglob("*.py")) if p.relative_to(image).as_posix() not in pages | {"app.py"}]
    script = ("import importlib, json, sys\nfailed = {}\n"
              f"for m in {modules!r}:\n"
              "    try:\n        importlib.import_module(m)\n"
              "    except BaseException as exc:\n        failed[m] = f'{type(exc).__name__}: {exc}'\n"
              "print(json.dumps({'failed': failed, 'config': importlib.import_module('config').__file__}))\n")
    done = _run(image, "-c", script)
    assert done.returncode == 0, done.stderr[-3000:]
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said["config"].startswith(str(image)), "the copy must be what is imported, not the repository"
    assert not said["failed"], said["failed"]


def test_every_command_of_the_image_answers_help_demo_included(image: Path) -> None:
    listing = _run(image, "-c", "import json, typer.main, cli\n"
                   "c = typer.main.get_command(cli.app)\n"
                   "print(json.dumps({n: sorted(getattr(s, 'commands', {})) for n, s in c.commands.items()}))")
    assert listing.returncode == 0, listing.stderr[-3000:]
    commands = json.loads(listing.stdout.strip().splitlines()[-1])
    assert "demo" in commands and "dashboard" in commands and "worker" in commands, commands
    calls = [["--help"]] + [[name, *([sub] if sub else []), "--help"]
                            for name, subs in commands.items() for sub in [None, *subs]]
    for args in calls:
        done = _run(image, "cli.py", *args)
        assert done.returncode == 0 and "Usage" in done.stdout, (args, done.stdout[-1500:], done.stderr[-1500:])
    assert "Run the simulated shop" in _run(image, "cli.py", "demo", "--help").stdout


def test_pytest_accepts_full_as_the_readme_says() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "--full", "--collect-only", "-q", "-p", "no:cacheprovider",
                           str(Path(__file__))], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
