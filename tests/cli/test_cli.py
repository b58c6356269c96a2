"""The command line: verify prints JSON and exits 0, or an error object and exits 1."""

from __future__ import annotations

import argparse
import io
import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tgpass.cli import build_parser, main
from tgpass.demo import DemoData
from tgpass.testing import TEST_BOT_TOKEN
from tgpass.verify import sign_init_data, sign_login_widget

PUBLISHED = json.loads(
    (__import__("pathlib").Path(__file__).parents[1] / "vectors" / "telegram.json").read_text(
        "utf-8"
    )
)
EXAMPLE = PUBLISHED["init_data"][0]
THIRD = PUBLISHED["third_party"][0]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = main(list(argv))
    out = capsys.readouterr().out
    try:
        return code, json.loads(out)
    except json.JSONDecodeError:
        return code, out.strip()


def test_initdata_verify_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        capsys,
        *("initdata", "verify", "--bot-token", EXAMPLE["bot_token"]),
        *("--now", str(EXAMPLE["now"]), EXAMPLE["raw"]),
    )
    assert code == 0
    assert out["user"]["id"] == 279058397
    assert out["auth_date"] == 1662771648


def test_initdata_verify_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        capsys, "initdata", "verify", "--bot-token", EXAMPLE["bot_token"], EXAMPLE["raw"]
    )
    assert code == 1
    assert out["error"]["code"] == "expired"
    assert out["error"]["message"]


def test_initdata_verify_from_stdin_and_env_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TGPASS_BOT_TOKEN", EXAMPLE["bot_token"])
    monkeypatch.setattr(sys, "stdin", io.StringIO(EXAMPLE["raw"] + "\n"))
    code, out = run(capsys, "initdata", "verify", "--max-age", "none", "-")
    assert code == 0
    assert out["query_id"] == "AAHdF6IQAAAAAN0XohDhrOrc"


def test_initdata_verify_third_party(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("initdata", "verify", "--bot-id", str(THIRD["bot_id"]), "--now", str(THIRD["now"]))
    code, out = run(capsys, *args, "--public-key", THIRD["public_key"], THIRD["raw"])
    assert (code, out["user"]["id"]) == (0, 42)
    code, out = run(capsys, *args, "--test-env", THIRD["raw"])
    assert (code, out["error"]["code"]) == (1, "bad_signature")


def test_initdata_sign_then_verify(capsys: pytest.CaptureFixture[str]) -> None:
    code, raw = run(
        capsys,
        *("initdata", "sign", "--bot-token", TEST_BOT_TOKEN, "--auth-date", "1767225600"),
        *("--field", 'user={"id":1,"first_name":"A"}', "--field", "start_param=x"),
    )
    assert code == 0
    assert raw == sign_init_data(
        {"user": '{"id":1,"first_name":"A"}', "start_param": "x"},
        TEST_BOT_TOKEN,
        auth_date=1767225600,
    )
    code, out = run(
        capsys, "initdata", "verify", "--bot-token", TEST_BOT_TOKEN, "--now", "1767225600", raw
    )
    assert (code, out["start_param"]) == (0, "x")


def test_widget_sign_and_verify(capsys: pytest.CaptureFixture[str]) -> None:
    code, fields = run(
        capsys,
        *("widget", "sign", "--bot-token", TEST_BOT_TOKEN, "--auth-date", "1767225600"),
        *("--field", "id=5", "--field", "first_name=Zoya"),
    )
    assert code == 0
    assert fields == sign_login_widget(
        {"id": "5", "first_name": "Zoya"}, TEST_BOT_TOKEN, auth_date=1767225600
    )
    verify = ("widget", "verify", "--bot-token", TEST_BOT_TOKEN, "--now", "1767225600")
    code, out = run(capsys, *verify, json.dumps(fields))
    assert (code, out["id"]) == (0, 5)
    query = "&".join(f"{k}={v}" for k, v in fields.items())
    code, out = run(capsys, *verify, query)
    assert (code, out["first_name"]) == (0, "Zoya")
    code, out = run(capsys, *verify, query.replace("Zoya", "Eve"))
    assert (code, out["error"]["code"]) == (1, "bad_signature")


def test_bad_token_is_reported_not_crashed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "initdata", "verify", "--bot-token", "junk", "a=b")
    assert (code, out["error"]["code"]) == (1, "bad_config")


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["initdata", "sign", "--field", "novalue"])
    assert caught.value.code == 2


def test_link_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "link", "--bot", "tgpass_bot")
    assert code == 0
    assert out["url"] == f"https://t.me/tgpass_bot?start={out['code']}"


def test_demo_runs_the_service_on_the_sandbox(tmp_path: Path) -> None:
    from tgpass.sandbox.server import free_port

    site, phone = free_port(), free_port()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tgpass.cli",
            "demo",
            "--check",
            "--site-port",
            str(site),
            "--sandbox-port",
            str(phone),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"http://127.0.0.1:{site}" in result.stdout
    assert f"http://127.0.0.1:{phone}/" in result.stdout
    assert "through the bot: OK" in result.stdout


# -- help: every option says what it does, in plain text ----------------------------------------

MARKUP = re.compile(r"``|`|:(class|func|meth|mod|attr|data|exc|obj|ref):|\*\*|\[[^\]]*\]\(")


def parsers(
    parser: argparse.ArgumentParser, path: str = "tgpass"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every parser of the tree, with its command path."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, f"{path} {name}")


def test_every_option_of_every_command_has_help() -> None:
    missing = []
    for path, parser in parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if isinstance(action, argparse._SubParsersAction):
                helps = {c.dest: c.help for c in action._choices_actions}
                missing += [f"{path} {name}" for name in action.choices if not helps.get(name)]
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, f"no help text: {missing}"


def test_help_is_plain_text() -> None:
    texts = []
    for path, parser in parsers(build_parser()):
        texts += [(path, parser.description or ""), (path, parser.format_help())]
    stray = [(path, text) for path, text in texts if MARKUP.search(text)]
    assert not stray, f"markup in help: {stray[:1]}"
    for path, parser in parsers(build_parser()):
        if path != "tgpass":
            assert parser.description, f"{path} has no description"


def test_help_renders_for_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    for path, _ in parsers(build_parser()):
        with pytest.raises(SystemExit) as done:
            main([*path.split()[1:], "--help"])
        assert done.value.code == 0
        assert capsys.readouterr().out.startswith(f"usage: {path}")


# -- a port in use: one line, exit code 2, never a traceback -------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["demo", "--port", "{port}"], "--port"),
        (["demo", "--site-port", "{port}"], "--port"),
        (["demo", "--sandbox-port", "{port}"], "--sandbox-port"),
        (["demo", "--check", "--port", "{port}"], "--port"),
        (["serve", "--port", "{port}"], "--port"),
        (["sandbox", "--port", "{port}"], "--port"),
    ],
)
def test_a_busy_port_is_one_line_and_exit_2(
    argv: list[str],
    option: str,
    busy_port: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TGPASS_BOT_TOKEN", TEST_BOT_TOKEN)
    code = main([arg.format(port=busy_port) for arg in argv])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err == (
        f"tgpass {argv[0]}: port {busy_port} is in use: stop the other program or pass {option}\n"
    )
    assert not DemoData(tmp_path / ".demo").exists()  # refused before writing any data


def test_a_busy_port_under_make_says_how_to_pass_another(
    busy_port: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TGPASS_DEMO_VIA", "make")
    assert main(["demo", "--port", str(busy_port)]) == 2
    assert capsys.readouterr().err == (
        f"tgpass demo: port {busy_port} is in use: stop the other program or pass --port"
        f' (make demo DEMO_ARGS="--port {busy_port + 1}")\n'
    )


def test_a_busy_port_in_a_real_process_has_no_traceback(busy_port: int, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tgpass.cli", "demo", "--port", str(busy_port)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"tgpass demo: port {busy_port} is in use: stop the other program or pass --port"
    ]


def test_link_command_under_a_sandbox_base(capsys: pytest.CaptureFixture[str]) -> None:
    base = "http://127.0.0.1:8081/t.me"
    code, out = run(capsys, "link", "--bot", "tgpass_bot", "--base", base, "abc")
    assert (code, out["url"]) == (0, f"{base}/tgpass_bot?start=abc")
    code, out = run(capsys, "link", "--bot", "tgpass_bot", "--base", "t.me", "abc")
    assert (code, out["error"]["code"]) == (1, "bad_deep_link")
