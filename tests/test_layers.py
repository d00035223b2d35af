"""The layers the tree promises: extract/ ← crawler/ ← monitor/, and no module cycles.

Read from the source with ``ast`` (nothing is imported), so a new import in the wrong direction
fails here with the file and the line."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("extract", "crawler", "monitor")
#: what each package may import from the project (itself, and the layers below it)
ALLOWED = {"extract": {"extract"}, "crawler": {"crawler", "extract"},
           "monitor": {"monitor", "crawler", "extract"}}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict) -> list[tuple[str, int]]:
    """Project modules that ``name`` imports, with the line, resolving relative imports."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and (target, node.lineno) not in out:
                out.append((target, node.lineno))
    return out


def test_lower_layers_never_import_higher_ones():
    known = modules()
    wrong = []
    for name, path in known.items():
        package = name.split(".")[0]
        for target, line in imports_of(name, path, known):
            if target.split(".")[0] not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_two_modules_import_each_other():
    known = modules()
    graph = {name: {t for t, _ in imports_of(name, path, known)}
             for name, path in known.items()}
    pairs = sorted({tuple(sorted((a, b))) for a, targets in graph.items() for b in targets
                    if a in graph.get(b, set()) and not (a.startswith(b + ".")
                                                        or b.startswith(a + "."))})
    assert not pairs, pairs


def test_the_checker_sees_a_wrong_import(tmp_path):
    path = tmp_path / "store.py"
    path.write_text("from monitor.schema import open_db\nfrom . import files\n")
    known = {"crawler.store": path, "monitor.schema": path, "crawler.files": path}
    assert imports_of("crawler.store", path, known) == [("monitor.schema", 1),
                                                        ("crawler.files", 2)]
