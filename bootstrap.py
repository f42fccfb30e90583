"""Set up opsim in a virtual environment inside this clone: ``python3 bootstrap.py [EXTRA ...]``.

    python3 bootstrap.py              # .venv/ with opsim installed (editable)
    python3 bootstrap.py dev          # ... plus the test tools
    python3 bootstrap.py dev dask     # extras from pyproject.toml, as many as needed

Then run everything with the environment's Python, ``.venv/bin/python`` (on Windows
``.venv\\Scripts\\python``), or activate it first. Nothing outside this folder is touched:
a system Python that refuses ``pip install`` ("externally managed", PEP 668, as on
Debian and Ubuntu) is only used to create the environment, and ``--break-system-packages``
is never needed.

It works where ``python3 -m venv`` cannot install pip (Debian and Ubuntu without the
``python3-venv`` package): the environment is then created without pip, and pip is
fetched into it with the system's own pip (``pip download`` installs nothing), or from
PyPI directly. Running it again only installs what changed.

Only the standard library is used, and Python 3.11 or newer is required.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
ENV = ROOT / ".venv"
STAMP = ENV / ".opsim-installed"
MINIMUM = (3, 11)


def say(message: str) -> None:
    print(f"bootstrap: {message}", flush=True)


def fail(message: str) -> None:
    print(f"bootstrap: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def env_python() -> Path:
    if os.name == "nt":
        return ENV / "Scripts" / "python.exe"
    return ENV / "bin" / "python"


def run(*command: str | Path, quiet: bool = False) -> bool:
    """Run a command; True when it succeeded."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=ROOT,
        stdout=subprocess.DEVNULL if quiet else None,
        stderr=subprocess.DEVNULL if quiet else None,
    )
    return result.returncode == 0


def has_pip() -> bool:
    return env_python().exists() and run(env_python(), "-m", "pip", "--version", quiet=True)


def create_environment() -> None:
    """Make ``.venv`` with pip in it, whatever this Python's packaging lacks."""
    if has_pip():
        return
    say(f"creating a virtual environment in {ENV} with {sys.executable}")
    try:
        venv.EnvBuilder(with_pip=True, clear=ENV.exists()).create(ENV)
    except (subprocess.CalledProcessError, OSError) as error:
        say(f"venv could not install pip ({error}); creating it without pip")
        venv.EnvBuilder(with_pip=False, clear=True).create(ENV)
    if not has_pip():
        install_pip()
    if not has_pip():
        fail(
            "pip could not be installed into .venv; install your system's venv support "
            "(Debian/Ubuntu: sudo apt install python3-venv) and run this again"
        )


def install_pip() -> None:
    """Put pip into an environment made without it, from a pip wheel."""
    with tempfile.TemporaryDirectory() as folder:
        wheel = download_pip_with_system_pip(folder) or download_pip_from_pypi(folder)
        if wheel is None:
            return
        say(f"installing pip into the environment from {wheel.name}")
        # A wheel is a zip archive Python can import from: pip installs itself from it.
        run(env_python(), str(wheel / "pip"), "install", "--quiet", str(wheel))


def download_pip_with_system_pip(folder: str) -> Path | None:
    if not run(sys.executable, "-m", "pip", "--version", quiet=True):
        return None
    say("fetching pip with the system's pip (download only: nothing is installed there)")
    run(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", folder, "pip")
    return next(iter(sorted(Path(folder).glob("pip-*.whl"))), None)


def download_pip_from_pypi(folder: str) -> Path | None:
    say("fetching pip from PyPI")
    try:
        index = "https://pypi.org/pypi/pip/json"
        with urllib.request.urlopen(index, timeout=60) as response:
            release = json.load(response)
        url = next(f["url"] for f in release["urls"] if f["filename"].endswith(".whl"))
        url = urllib.parse.urljoin(index, url)  # a mirror may give it relative to the index
        target = Path(folder) / url.rsplit("/", 1)[1]
        urllib.request.urlretrieve(url, target)
    except (OSError, ValueError, StopIteration) as error:
        say(f"could not fetch pip from PyPI ({error})")
        return None
    return target


def install_opsim(extras: list[str]) -> None:
    """``pip install -e .[extras]`` into the environment, unless that is already done."""
    recipe = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + bytes(ROOT)).hexdigest()
    done: set[str] = set()
    if STAMP.exists():
        stamp = json.loads(STAMP.read_text())
        if stamp.get("pyproject") == recipe:
            done = set(stamp.get("extras", []))
            if set(extras) <= done:
                listed = ", ".join(sorted(done)) or "none"
                say(f"opsim is already installed in {ENV} (extras: {listed})")
                return
    wanted = sorted(done | set(extras))
    target = f".[{','.join(wanted)}]" if wanted else "."
    say(f"installing opsim {target} into {ENV}")
    if not run(env_python(), "-m", "pip", "install", "--disable-pip-version-check", "-e", target):
        fail(f"pip could not install {target}; its messages are above")
    STAMP.write_text(json.dumps({"pyproject": recipe, "extras": wanted}) + "\n")


def main(argv: list[str]) -> int:
    if sys.version_info < MINIMUM:
        needed, this = ".".join(map(str, MINIMUM)), sys.version.split()[0]
        fail(f"opsim needs Python {needed} or newer (this is {this})")
    extras = [word for arg in argv for word in arg.split(",") if word]
    create_environment()
    install_opsim(extras)
    shown = env_python().relative_to(ROOT)
    say(f"ready: run opsim with {shown} (for example: {shown} run_sim.py --help)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
