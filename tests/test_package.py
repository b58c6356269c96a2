"""The public surface and the purity of the core."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import packages_distributions

import tgpass


def test_all_names_are_unique_and_importable() -> None:
    assert len(set(tgpass.__all__)) == len(tgpass.__all__)
    for name in tgpass.__all__:
        assert hasattr(tgpass, name), name


def test_the_verify_core_imports_nothing_outside_stdlib_and_cryptography() -> None:
    def top_level_modules(statement: str) -> set[str]:
        code = f"import sys\n{statement}\nprint(' '.join({{m.split('.')[0] for m in sys.modules}}))"
        return set(subprocess.check_output([sys.executable, "-c", code], text=True).split())

    added = top_level_modules("import tgpass.verify") - top_level_modules("pass")
    providers = packages_distributions()
    foreign = {
        name
        # _openssl is registered in sys.modules by cryptography's own Rust extension.
        for name in added - set(sys.stdlib_module_names) - {"tgpass", "_openssl"}
        if not set(providers.get(name, [])) & {"cryptography", "cffi"}
    }
    assert not foreign, foreign
    ours = subprocess.check_output(
        [
            sys.executable,
            "-c",
            "import sys, tgpass\nprint(' '.join(m for m in sys.modules if m.startswith('tgpass')))",
        ],
        text=True,
    ).split()
    assert all(m.startswith(("tgpass.verify", "tgpass.errors")) or m == "tgpass" for m in ours)


def test_py_typed_ships() -> None:
    from importlib.resources import files

    assert files("tgpass").joinpath("py.typed").is_file()
