"""The core stays free of Streamlit (STYLE.md): importing it in a fresh interpreter loads no UI."""

import subprocess
import sys

from tests.conftest import ROOT


def test_importing_sla_core_does_not_import_streamlit():
    code = (
        "import sys, pkgutil, importlib, sla_core\n"
        "for m in pkgutil.iter_modules(sla_core.__path__):\n"
        "    if m.name != '__main__':\n"
        "        importlib.import_module('sla_core.' + m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'streamlit' or n.startswith('streamlit.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"sla_core pulled in: {out.stdout.strip()}"
