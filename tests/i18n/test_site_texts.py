"""Every word the site's pages show goes through the ``site`` catalog: no template holds
visible text outside ``{% trans %}`` or ``_()``, no page script holds a sentence of its own
(its words come from the page, translated), and the web code hands the pages no English
of its own."""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path

import pytest

from tgpass.i18n import template_messages
from tgpass.service.oidc.provider.claims import DESCRIPTIONS

WEB = Path(str(files("tgpass.web")))
TEMPLATES = sorted((WEB / "templates").glob("*.html"))
SCRIPTS = sorted((WEB / "static").glob("*.js"))
ALLOWED = frozenset(
    {
        "Telegram",  # a name, the same in every language
        "web-master, staff",  # an example of the site's own role names: data, not words
    }
)
"""Text that may stand in a template as it is."""
SHOWN_ATTRIBUTES = frozenset({"title", "placeholder", "aria-label", "alt"})
WORD = re.compile(r"[^\W\d_]{2,}")
TRANSLATED = re.compile(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", re.S)
JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)
SCRIPT = re.compile(r"(<script\b[^>]*>)(.*?)(</script>)", re.S | re.I)
TWO_WORDS = re.compile(r"[^\W\d_]{2,} [^\W\d_]{2,}")
CLASSES = re.compile(r"""(class:\s*|className\s*=\s*)(["'`])[^"'`]*\2""")


def masked(source: str) -> str:
    """The template with what Jinja says masked out: translated blocks, expressions,
    statements and comments."""
    return JINJA.sub(" ", TRANSLATED.sub(" ", source))


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skipping += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value and WORD.search(value) and value not in ALLOWED:
                self.found.append(f"{tag}[{name}]: {value.strip()}")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if not self._skipping and text and WORD.search(text) and text not in ALLOWED:
            self.found.append(text)


def visible_text(source: str) -> list[str]:
    parser = _Visible()
    parser.feed(masked(source))
    parser.close()
    return parser.found


def string_literals(code: str) -> list[str]:
    """A script's string literals, in order (a template literal's ``${…}`` parts left out),
    its comments skipped: just enough of JavaScript for the pages' own scripts."""
    found: list[str] = []
    i, size = 0, len(code)
    while i < size:
        if code.startswith("//", i) or code.startswith("/*", i):
            end = code.find("\n" if code[i + 1] == "/" else "*/", i + 2)
            i = size if end < 0 else end + 1
            continue
        quote = code[i]
        if quote not in "\"'`":
            i += 1
            continue
        i, text, depth = i + 1, [], 0
        while i < size and (depth or code[i] != quote):
            if code[i] == "\\":
                i += 2
                continue
            if quote == "`" and code.startswith("${", i):
                depth += 1
                text.append(" ")
                i += 2
                continue
            if depth and code[i] == "}":
                depth -= 1
            elif not depth:
                text.append(code[i])
            i += 1
        found.append("".join(text))
        i += 1
    return found


def sentences_in_script(code: str) -> list[str]:
    """String literals of a script that read as words (two or more in a row): its class
    lists (``class: "tag done"``) aside."""
    return [text for text in string_literals(CLASSES.sub(" ", code)) if TWO_WORDS.search(text)]


def test_the_scan_finds_what_it_looks_for() -> None:
    source = (
        "<p>Hello {{ name }}</p><p>{% trans %}Kept{% endtrans %}</p>"
        '<input placeholder="Your name" title="{{ _(\'Fine\') }}"><b>{{ _("Fine") }}</b>'
        "<script>say('no answer yet');</script><style>p { color: red; }</style>"
    )
    assert visible_text(source) == ["Hello", "input[placeholder]: Your name"]
    assert sentences_in_script('say("no answer yet"); el("td", null, {class: "muted"})') == [
        "no answer yet"
    ]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_a_template_shows_no_text_outside_the_catalog(template: Path) -> None:
    assert visible_text(template.read_text()) == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_a_pages_script_says_nothing_of_its_own(template: Path) -> None:
    scripts = [match.group(2) for match in SCRIPT.finditer(template.read_text())]
    assert [s for script in scripts for s in sentences_in_script(masked(script))] == []


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_a_shared_script_says_nothing_of_its_own(script: Path) -> None:
    assert sentences_in_script(script.read_text()) == []


PAGE_CALLS = re.compile(r"(^|_)(render|page|login_page|sign_in_page|form_page|error_page)$")
PAGE_WORDS = frozenset({"error", "message", "title", "notice", "description"})


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def english_for_pages(tree: ast.AST) -> list[str]:
    """Literal words the code hands a page: a string (or f-string) given as the error,
    message, title, notice or description of a call that renders one."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and PAGE_CALLS.search(_name(node.func))):
            continue
        for keyword in node.keywords:
            value = keyword.value
            literal = isinstance(value, ast.JoinedStr) or (
                isinstance(value, ast.Constant) and isinstance(value.value, str)
            )
            if keyword.arg in PAGE_WORDS and literal:
                found.append(f"line {node.lineno}: {keyword.arg}={ast.unparse(value)}")
    return found


def test_the_code_scan_finds_a_literal_handed_to_a_page() -> None:
    tree = ast.parse('render(request, "x.html", error=f"failed: {why}", status=401)')
    assert english_for_pages(tree) == ["line 1: error=f'failed: {why}'"]


@pytest.mark.parametrize(
    "module",
    [path for path in sorted(WEB.glob("*.py")) if path.name != "errors.py"],
    ids=lambda path: path.name,
)
def test_the_web_code_hands_the_pages_no_english_of_its_own(module: Path) -> None:
    assert english_for_pages(ast.parse(module.read_text())) == []


def test_the_consent_page_can_translate_every_scope() -> None:
    assert set(DESCRIPTIONS.values()) <= template_messages("site")
