"""Isolated build environments for any interpreter.

pypa/build's ``DefaultIsolatedEnv`` always creates the environment from the interpreter running
the frontend, so it cannot build for ``--python 3.12`` from hwb running on 3.11. This class
implements build's ``IsolatedEnv`` protocol with an environment created from the chosen
interpreter: ``uv venv`` + ``uv pip install`` when uv is available (milliseconds per env),
otherwise ``python -m venv`` + that env's pip.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Collection
from pathlib import Path
from types import TracebackType

from hwb import log, proc
from hwb.build import interpreters
from hwb.errors import BuildError, ToolMissingError, UsageError

_log = log.get("build")


def choose_installer(requested: str) -> tuple[str, str | None]:
    """``auto``/``uv``/``pip`` -> (installer, uv binary or None)."""
    if requested not in {"auto", "uv", "pip"}:
        raise UsageError(f"unknown installer {requested!r}", hint="Use auto, uv or pip.")
    uv = interpreters.uv_binary() if requested in {"auto", "uv"} else None
    if requested == "uv" and uv is None:
        raise ToolMissingError(
            "installer 'uv' requested but uv was not found",
            hint="pip install 'headless-wheel-builder[uv]', or use --installer pip.",
        )
    return ("uv", uv) if uv else ("pip", None)


class IsolatedEnv:
    """A throw-away virtual environment holding only the build requirements."""

    def __init__(self, interpreter: interpreters.Interpreter, installer: str) -> None:
        self.interpreter = interpreter
        self.installer, self._uv = choose_installer(installer)
        self.path = Path(tempfile.mkdtemp(prefix="hwb-env-"))
        bindir = "Scripts" if sys.platform == "win32" else "bin"
        self._bin = self.path / bindir
        self._python = self._bin / ("python.exe" if sys.platform == "win32" else "python")

    def __enter__(self) -> IsolatedEnv:
        try:
            self._create()
        except BaseException:
            shutil.rmtree(self.path, ignore_errors=True)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    # -- build.env.IsolatedEnv protocol ------------------------------------------------------
    @property
    def python_executable(self) -> str:
        return str(self._python)

    def make_extra_environ(self) -> dict[str, str]:
        path = os.environ.get("PATH")
        return {
            "PATH": os.pathsep.join([str(self._bin), path]) if path else str(self._bin),
            "VIRTUAL_ENV": str(self.path),
            # An empty PYTHONPATH hides the host's from the backend.
            "PYTHONPATH": "",
        }

    # -- creation and installs ---------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
        env["VIRTUAL_ENV"] = str(self.path)
        return env

    def _create(self) -> None:
        if self._uv:
            args = [self._uv, "venv", "--quiet", "--no-project", "--no-config"]
            args += ["--python", self.interpreter.executable, str(self.path), "--allow-existing"]
        else:
            args = [self.interpreter.executable, "-m", "venv", str(self.path)]
        result = proc.run(args, env=self._env(), stream_level=log.TRACE)
        if result.returncode != 0 or not self._python.exists():
            raise BuildError(
                f"could not create the isolated build environment with {self.installer}",
                hint="Run with -vv to see the command, or use --no-isolation.",
                details=result.tail(),
            )

    def install(self, requirements: Collection[str]) -> None:
        if not requirements:
            return
        reqs = sorted(requirements)
        _log.log(log.VERBOSE, "installing build requirements: %s", ", ".join(reqs))
        if self._uv:
            args = [self._uv, "pip", "install", "--python", str(self._python), "--", *reqs]
        else:
            args = [str(self._python), "-m", "pip", "install", "--disable-pip-version-check"]
            # "--": a requirement (from the project or its backend) is never an option.
            args += ["--no-warn-script-location", "--quiet", "--", *reqs]
        result = proc.run(args, env=self._env())
        if result.returncode != 0:
            raise BuildError(
                f"could not install the build requirements ({', '.join(reqs)})",
                hint="Check [build-system] requires and that the package index is reachable.",
                details=result.tail(),
            )
