"""Every error a person can read is written so the errors catalog can hold it: its message is
a plain string literal at the call of the error class (what ``make messages`` extracts), what
varies given as ``values``, and that literal is a message of ``errors.pot``.

The sandbox, the typed client, the framework integrations, Telegram Login tokens in the
library and the commands are left out: their errors are for developers and operators."""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import tgpass
from tgpass.i18n import template_messages

SRC = Path(tgpass.__file__).parent
SCANNED = [
    SRC / "errors.py",
    SRC / "verify",
    SRC / "domain",
    SRC / "service",
    SRC / "web",
    SRC / "telegram" / "updates.py",
    SRC / "outbound.py",
]
ROOT_CLASS = "TgpassError"
FOR_OPERATORS = "ConfigError"
"""Settings tgpass cannot work with, said at startup to whoever runs it: English, not in the
catalog (still written whole)."""


def scanned_files() -> list[Path]:
    files: list[Path] = []
    for place in SCANNED:
        files += sorted(place.rglob("*.py")) if place.is_dir() else [place]
    return files


@dataclass
class ErrorClass:
    """What the scan needs of an error class: its bases, and where its message goes."""

    bases: list[str]
    init: ast.FunctionDef | None

    def params(self) -> list[str]:
        assert self.init is not None
        return [a.arg for a in [*self.init.args.posonlyargs, *self.init.args.args][1:]]


def _classes(trees: dict[Path, ast.Module]) -> dict[str, ErrorClass]:
    """Every class of the error tree defined in the scanned files, by name."""
    found: dict[str, ErrorClass] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                init = next(
                    (
                        item
                        for item in node.body
                        if isinstance(item, ast.FunctionDef) and item.name == "__init__"
                    ),
                    None,
                )
                bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
                found[node.name] = ErrorClass(bases, init)
    errors: dict[str, ErrorClass] = {ROOT_CLASS: found[ROOT_CLASS]}
    grew = True
    while grew:
        grew = False
        for name, kind in found.items():
            if name not in errors and any(base in errors for base in kind.bases):
                errors[name] = kind
                grew = True
    return errors


def _base_init_call(kind: ErrorClass) -> tuple[str, list[ast.expr], ast.Call] | None:
    """The call of the base class's ``__init__`` in ``kind``'s: the base, the arguments
    after ``self``, the call."""
    assert kind.init is not None
    for node in ast.walk(kind.init):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "__init__":
            continue
        owner = node.func.value
        if isinstance(owner, ast.Call) and ast.unparse(owner.func) == "super":
            return kind.bases[0], list(node.args), node
        if isinstance(owner, ast.Name) and owner.id in kind.bases:
            return owner.id, list(node.args[1:]), node
    return None


def message_position(name: str, errors: dict[str, ErrorClass]) -> int | None:
    """Where a call of the class takes its message (None: the class writes its own)."""
    kind = errors[name]
    if kind.init is None:
        return next((message_position(base, errors) for base in kind.bases if base in errors), 0)
    params = kind.params()
    if "message" in params:
        return params.index("message")
    call = _base_init_call(kind)
    if call is None:
        return 0
    base, args, _ = call
    at = message_position(base, errors) if base in errors else 0
    passed = args[at] if at is not None and at < len(args) else None
    if isinstance(passed, ast.Name) and passed.id in params:
        return params.index(passed.id)  # the message comes from the caller, as this one
    return None


@dataclass(frozen=True)
class Site:
    path: Path
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(SRC)}:{self.line}: {self.what}"


def _kind_of(node: ast.expr) -> str:
    if isinstance(node, ast.JoinedStr):
        return "an f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return "a concatenation"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return "a % format"
    if isinstance(node, ast.Name):
        return f"the name {node.id}"
    return f"an expression ({ast.unparse(node)[:40]})"


def _passes_on(call: ast.Call, message: ast.expr) -> bool:
    """``Kind(error.template, values=error.values)``: another error's message passed on
    whole, its literal written (and extracted) where that error was raised."""
    if not (isinstance(message, ast.Attribute) and message.attr == "template"):
        return False
    source = ast.unparse(message.value)
    return any(
        k.arg == "values" and ast.unparse(k.value) == f"{source}.values" for k in call.keywords
    )


def _is_a(name: str, root: str, errors: dict[str, ErrorClass]) -> bool:
    return name == root or any(_is_a(b, root, errors) for b in errors[name].bases if b in errors)


def scan() -> tuple[list[Site], dict[str, list[Site]]]:
    """The calls whose message is not a plain literal, and each literal a person may read
    with where it is."""
    trees = {path: ast.parse(path.read_text(), str(path)) for path in scanned_files()}
    errors = _classes(trees)
    bad: list[Site] = []
    literals: dict[str, list[Site]] = {}

    def take(path: Path, call: ast.Call, message: ast.expr | None, name: str) -> None:
        if message is None:
            return
        if isinstance(message, ast.Constant) and isinstance(message.value, str):
            if not _is_a(name.removesuffix(".__init__"), FOR_OPERATORS, errors):
                literals.setdefault(message.value, []).append(Site(path, call.lineno, name))
            missing = _placeholders(message.value) - _value_keys(call)
            if missing and _value_keys(call) != {"*"}:
                bad.append(Site(path, call.lineno, f"{name}: no value for {sorted(missing)}"))
        elif not _passes_on(call, message):
            bad.append(Site(path, call.lineno, f"{name}'s message is {_kind_of(message)}"))

    for path, tree in trees.items():
        for call in _calls(tree):
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in errors:
                bad.append(Site(path, call.lineno, f"{func.attr} called by attribute"))
                continue
            if not (isinstance(func, ast.Name) and func.id in errors):
                continue
            at = message_position(func.id, errors)
            if at is None:
                continue
            given = next((k.value for k in call.keywords if k.arg == "message"), None)
            if given is not None:
                bad.append(Site(path, call.lineno, f"{func.id}'s message given by keyword"))
                continue
            take(path, call, call.args[at] if at < len(call.args) else None, func.id)
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            if cls.name in errors and message_position(cls.name, errors) is None:
                found = _base_init_call(errors[cls.name])
                assert found is not None
                base, args, own = found
                at = message_position(base, errors) or 0
                take(path, own, args[at] if at < len(args) else None, f"{cls.name}.__init__")
    return bad, literals


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def _placeholders(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def _value_keys(call: ast.Call) -> set[str]:
    given = next((k.value for k in call.keywords if k.arg == "values"), None)
    if given is None:
        return set()
    if isinstance(given, ast.Dict) and all(isinstance(k, ast.Constant) for k in given.keys):
        return {str(k.value) for k in given.keys if isinstance(k, ast.Constant)}
    return {"*"}  # built elsewhere: the error itself says when one is missing


def test_every_error_message_is_a_plain_literal() -> None:
    bad, _ = scan()
    assert not bad, "messages the errors catalog cannot hold:\n" + "\n".join(map(str, bad))


def test_every_error_message_is_in_the_errors_template() -> None:
    _, literals = scan()
    known = template_messages("errors")
    missing = {message: sites for message, sites in literals.items() if message not in known}
    lines = [f"{sites[0]}: {message!r}" for message, sites in sorted(missing.items())]
    assert not lines, "run make messages; not in errors.pot:\n" + "\n".join(lines)


def test_the_scan_finds_what_it_should() -> None:
    """The scan itself: it knows the classes defined outside errors.py and where each takes
    its message, and it finds a literal of a known call site."""
    trees = {path: ast.parse(path.read_text()) for path in scanned_files()}
    errors = _classes(trees)
    assert {"InvalidToken", "AlreadyLinked", "UnreadableUpdate"} <= set(errors)
    assert message_position("InvalidAuthData", errors) == 1
    assert message_position("NotFound", errors) == 0
    assert message_position("RecipientUnavailable", errors) == 0
    assert message_position("AlreadyLinked", errors) is None
    _, literals = scan()
    assert "a bot username is 4-32 characters of A-Z a-z 0-9 _" in literals
    assert "the hash does not match the data" in literals  # InvalidAuthData's second argument
    assert "this Telegram account is linked to another account" in literals  # in its __init__
