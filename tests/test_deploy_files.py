"""The deployment files the guide ships (docs/how-to/deploy.md) are valid as shipped."""

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VARNISHD = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin")


@pytest.mark.skipif(not VARNISHD, reason="varnishd not installed (apt-get install varnish)")
def test_the_varnish_configuration_compiles(tmp_path):
    """What scripts/stack.py fills in, compiled by Varnish's own VCL compiler."""
    spec = importlib.util.spec_from_file_location("stack", ROOT / "scripts" / "stack.py")
    stack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stack)
    vcl = tmp_path / "varnish.vcl"
    vcl.write_text(stack.render_vcl([9, 10]))
    result = subprocess.run(
        # No jail: the compiler runs as this user, who can read the temporary directory.
        [VARNISHD, "-C", "-j", "none", "-f", str(vcl), "-n", str(tmp_path / "varnish")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # The purge bans every query string of the URL, and sessions are never cached.
    source = vcl.read_text()
    assert '(\\?|$)"' in source and "sessionid|messages" in source
    # A dead app server is probed out of the rotation.
    assert source.count(".probe = healthz;") == 2 and '.url = "/healthz";' in source
