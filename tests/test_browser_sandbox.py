"""Chromium keeps its sandbox unless it cannot have one."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from supplier_pipeline.lib.scraping import browser


@pytest.mark.parametrize(("setting", "root", "namespaces", "sandboxed"), [
    ("", False, True, True),  # auto, a user with user namespaces: the sandbox
    ("", False, False, False),  # auto, a container without them
    ("on", False, False, True),  # the operator knows better than the probe
    ("off", False, True, False),  # the kernel lacks them (told)
    ("on", True, True, False),  # root: Chromium refuses its sandbox
    ("", True, True, False),
])
def test_the_sandbox_is_on_unless_it_cannot_work(monkeypatch, setting, root, namespaces,
                                                 sandboxed):
    monkeypatch.setattr(os, "geteuid", lambda: 0 if root else 10001)
    monkeypatch.setattr(browser, "user_namespaces_available", lambda: namespaces)
    assert browser.chromium_sandbox({"CHROMIUM_SANDBOX": setting}) is sandboxed
    flags = browser.chromium_flags(sandboxed)
    assert ("--no-sandbox" in flags) is not sandboxed


def test_a_wrong_setting_is_named():
    with pytest.raises(ValueError, match="CHROMIUM_SANDBOX"):
        browser.chromium_sandbox({"CHROMIUM_SANDBOX": "maybe"})


def test_chromium_renders_in_its_sandbox_as_a_user():
    """The flags without --no-sandbox work for a user that is not root on this kernel (as in
    the image, user `pipeline`)."""
    chromium, runuser = shutil.which("chromium"), shutil.which("runuser")
    if os.geteuid() != 0 or not chromium or not runuser:
        pytest.skip("needs root (to act as another user), runuser and chromium")
    home = Path(tempfile.mkdtemp(prefix="sandbox-home-"))  # pytest's tmp is root's only
    home.chmod(0o777)
    probe = subprocess.run([runuser, "-u", "nobody", "--", "unshare", "--user", "true"],
                           capture_output=True)
    if probe.returncode:
        pytest.skip("this kernel gives users no user namespaces: the sandbox cannot run here")
    try:
        result = subprocess.run(
            [runuser, "-u", "nobody", "--", "env", f"HOME={home}", chromium,
             *browser.chromium_flags(True), "--dump-dom", "data:text/html,<p>sandboxed</p>"],
            capture_output=True, text=True, timeout=120, cwd=home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert "<p>sandboxed</p>" in result.stdout, result.stderr[-2000:]
    assert "--no-sandbox" not in browser.chromium_flags(True)
