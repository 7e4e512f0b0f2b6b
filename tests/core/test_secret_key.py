"""No installation runs on a secret key anybody else knows: without PARLEY_SECRET_KEY, a
random key is made on first start, kept in the var folder readable by its owner only, and
read back on every later start (so signed ids and encrypted secrets stay valid)."""

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def _key(var_dir: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PARLEY_SECRET_KEY"}
    env |= {"PARLEY_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "parley.settings"}
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_a_random_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = _key(tmp_path)
    assert len(first) >= 50 and "dev" not in first
    assert _key(tmp_path) == first
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600
    assert _key(tmp_path / "elsewhere") != first
