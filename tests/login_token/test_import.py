"""What importing tgpass.login_token costs: no httpx until a key set is fetched, and a clear
message naming the extra when joserfc is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "login_tokens.json"


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_importing_and_validating_never_imports_httpx() -> None:
    done = run(
        "import sys, json\n"
        "from pathlib import Path\n"
        "from tgpass.login_token import TelegramLoginKeys, validate_login_token\n"
        "TelegramLoginKeys()\n"
        f"v = json.loads(Path({str(VECTORS)!r}).read_text('utf-8'))\n"
        "case = v['tokens'][0]\n"
        "validate_login_token(case['id_token'], case['client_id'], v['jwks']['telegram'],\n"
        "                     nonce=case['nonce'], now=case['now'])\n"
        "print('httpx' in sys.modules)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_importing_tgpass_does_not_import_joserfc() -> None:
    done = run("import sys, tgpass\nprint('joserfc' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_without_joserfc_the_error_names_the_extra() -> None:
    done = run(
        "import sys\n"
        "sys.modules['joserfc'] = None  # as if not installed\n"
        "try:\n"
        "    import tgpass.login_token\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "pip install 'tgpass[login-token]'" in done.stdout
