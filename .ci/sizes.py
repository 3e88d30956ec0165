"""Small pieces: no function over 60 lines and no viewset method over 25, outside bench/ and
migrations. (Complexity is ruff's C901, at most 12, in `make lint`.) Prints each one over
and exits 1 if there is any."""

import ast
import sys
from pathlib import Path

FUNCTION_LINES = 60
VIEW_METHOD_LINES = 25
FOLDERS = ["hipflex_api", "exercises", "sessions", "tests", "fuzz"]


def _is_view(node: ast.ClassDef) -> bool:
    names = {getattr(base, "attr", getattr(base, "id", "")) for base in node.bases}
    return any(name.endswith(("ViewSet", "View", "APIView")) for name in names)


def _length(node: ast.AST) -> int:
    # From the def line (decorators aside) to the last line of the body.
    return node.end_lineno - node.lineno + 1  # type: ignore[attr-defined, operator]


def oversized(root: Path, path: Path) -> list[str]:
    tree = ast.parse((root / path).read_text(), filename=str(path))
    found = []
    views = {
        id(item)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and _is_view(node)
        for item in node.body
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        limit = VIEW_METHOD_LINES if id(node) in views else FUNCTION_LINES
        if (length := _length(node)) > limit:
            found.append(f"{path}:{node.lineno} {node.name}: {length} lines (at most {limit})")
    return found


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    found = [
        problem
        for folder in FOLDERS
        for path in sorted((root / folder).rglob("*.py"))
        if "migrations" not in path.parts
        for problem in oversized(root, path.relative_to(root))
    ]
    print("\n".join(found) or "No function over its size limit.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
