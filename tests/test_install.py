"""`pip install .` (not editable) into a fresh venv works and ships the knowledge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_fresh_venv_install_ships_the_knowledge(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    # Reuse this interpreter's installed packages for the dependencies, so the
    # test needs no network beyond what the project's own build needs.
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    (next((env_dir / "lib").glob("python3*")) / "site-packages" / "_parent.pth").write_text(str(site) + "\n")
    build = subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    # run from a directory with no checkout in sight
    env = {**os.environ, "ROLE_DIFF_LOG": "off"}
    env.pop("PYTHONPATH", None)
    out = subprocess.run(
        [str(env_dir / "bin" / "role-diff"), "ask", "--json", "what is mlops"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["topic"] == "mlops"
    where = subprocess.run(
        [str(py), "-c", "import bot.knowledge as k; print(k.shipped_knowledge_dir())"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert str(env_dir) in where.stdout, where.stdout  # the installed copy, not the checkout
    validate = subprocess.run(
        [str(env_dir / "bin" / "role-diff"), "validate"], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
