"""``hwb build``: wheels and sdists through pypa/build's API.

Artifacts are built into a staging directory inside ``outdir`` and moved into place only when
every requested build (and the reproducibility check) succeeded, so a failed run never leaves a
half-built set next to the previous release's files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from hwb import distfiles, log, proc
from hwb.build import interpreters
from hwb.build.epoch import source_date_epoch
from hwb.build.sdist_file import extract_sdist, is_sdist_file
from hwb.errors import BuildError, ProjectError, ReproducibilityError, UsageError
from hwb.fs import sha256_file, write_atomic
from hwb.settings.model import BuildSettings

if TYPE_CHECKING:
    import build as pypa_build

    from hwb.build.isolation import IsolatedEnv

_log = log.get("build")
Kind = Literal["wheel", "sdist"]
T = TypeVar("T")
# Zip cannot store timestamps before 1980-01-01; a SOURCE_DATE_EPOCH below it breaks wheels.
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Artifact:
    path: Path
    kind: Kind
    size: int
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name

    @classmethod
    def from_path(cls, path: Path, kind: Kind) -> Artifact:
        return cls(path, kind, path.stat().st_size, sha256_file(path))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "kind": self.kind,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass
class BuildResult:
    project: Path
    artifacts: list[Artifact]
    python: interpreters.Interpreter
    installer: str
    source_date_epoch: str | None
    checksum_file: Path | None = None
    reproducible: bool | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": str(self.project),
            "artifacts": [a.to_dict() for a in self.artifacts],
            "checksum_file": str(self.checksum_file) if self.checksum_file else None,
            "python": {"executable": self.python.executable, "version": self.python.version},
            "installer": self.installer,
            "source_date_epoch": self.source_date_epoch,
            "reproducible": self.reproducible,
            "seconds": round(self.seconds, 3),
        }


# -- project checks ---------------------------------------------------------------------------
def check_project(srcdir: Path, pyproject_data: Mapping[str, Any] | None) -> Path:
    """The project directory, or a ProjectError saying why it cannot be built."""
    if not srcdir.exists():
        raise ProjectError(f"{srcdir} does not exist", hint="Pass the project's directory.")
    if not srcdir.is_dir():
        raise ProjectError(
            f"{srcdir} is not a directory or an sdist (.tar.gz)",
            hint="Pass the directory holding pyproject.toml, or an sdist to build its wheel.",
        )
    pyproject, setup_py = srcdir / "pyproject.toml", srcdir / "setup.py"
    if not pyproject.is_file() and not setup_py.is_file():
        raise ProjectError(
            f"{srcdir} is not a Python project: no pyproject.toml or setup.py",
            hint="Run hwb build in (or pass) the directory that holds pyproject.toml.",
        )
    if pyproject_data is not None and pyproject.is_file() and "build-system" not in pyproject_data:
        if not setup_py.is_file():
            raise ProjectError(
                f"{pyproject} has no [build-system] table and there is no setup.py",
                hint='Add [build-system] with requires = [...] and build-backend = "..." '
                '(e.g. requires = ["hatchling"], build-backend = "hatchling.build").',
                file=str(pyproject),
            )
        _log.warning(
            "%s has no [build-system] table; using setuptools' legacy backend (PEP 518)",
            pyproject,
            extra={"hwb_file": str(pyproject)},
        )
    return srcdir.resolve()


# -- running the backend ----------------------------------------------------------------------
class _Runner:
    """pyproject_hooks runner: backend hooks run through :mod:`hwb.proc`, their output shown
    at -v and kept so that a failure can show its last lines."""

    def __init__(self, extra_env: Mapping[str, str]) -> None:
        self.extra_env = dict(extra_env)
        self.last: proc.Completed | None = None

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = {**os.environ, **self.extra_env, **(extra_environ or {})}
        self.last = proc.run(cmd, cwd=cwd, env=env)
        if self.last.returncode != 0:
            raise subprocess.CalledProcessError(self.last.returncode, list(cmd))


def _new_builder(srcdir: Path, python: str, runner: _Runner) -> pypa_build.ProjectBuilder:
    import build as pypa_build

    pyproject = srcdir / "pyproject.toml"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pypa_build.TypoWarning)
        try:
            builder = pypa_build.ProjectBuilder(srcdir, python_executable=python, runner=runner)
        except pypa_build.BuildSystemTableValidationError as exc:
            raise ProjectError(
                f"invalid [build-system] table in {pyproject}: {exc}",
                hint='PEP 518: [build-system] needs requires = ["..."] and build-backend = "...".',
                file=str(pyproject),
            ) from None
        except pypa_build.BuildException as exc:
            raise ProjectError(str(exc), file=str(pyproject)) from None
    for warning in caught:
        _log.warning("%s", warning.message, extra={"hwb_file": str(pyproject)})
    return builder


def _call_backend(runner: _Runner, what: str, fn: Callable[[], T]) -> T:
    import build as pypa_build

    try:
        # pypa/build re-raises the backend's warnings (e.g. setuptools' "experimental")
        # through `warnings`; they go to the output layer like any other warning.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = fn()
        for warning in caught:
            _log.warning("%s", warning.message)
        return value
    except pypa_build.BuildBackendException as exc:
        cause = exc.exception
        import pyproject_hooks

        if isinstance(cause, pyproject_hooks.BackendUnavailable):
            name = cause.backend_name or "the build backend"
            raise ProjectError(
                f"{name} cannot be imported while {what}",
                hint="Add the package providing it to [build-system] requires (and, with "
                "--no-isolation, install it in this environment).",
                details=runner.last.tail() if runner.last else [],
            ) from None
        reason = "" if isinstance(cause, subprocess.CalledProcessError) else f": {exc}"
        raise BuildError(
            f"the build backend failed while {what}{reason}",
            hint="The backend's last output lines are above; run with -v for all of it.",
            details=runner.last.tail() if runner.last else [],
        ) from None
    except pypa_build.BuildException as exc:
        raise BuildError(f"{what}: {exc}") from None


class _Session:
    """One build of the requested distributions with one environment."""

    def __init__(
        self, options: BuildSettings, interp: interpreters.Interpreter, sde: str | None
    ) -> None:
        self.options = options
        self.interp = interp
        self.sde = sde
        self._installed: set[str] = set()

    def _prepare(
        self,
        builder: pypa_build.ProjectBuilder,
        env: IsolatedEnv | None,
        kind: Kind,
        runner: _Runner,
    ) -> None:
        settings = dict(self.options.config_settings) or None
        if env is not None:
            # The sdist's wheel reuses the sdist's environment: same project, same requirements,
            # and one environment fewer to create.
            wanted = set(builder.build_system_requires) - self._installed
            env.install(wanted)
            self._installed |= wanted
            extra = _call_backend(
                runner,
                f"asking for {kind} build requirements",
                lambda: builder.get_requires_for_build(kind, settings),
            )
            wanted = set(extra) - self._installed
            env.install(wanted)
            self._installed |= wanted
        elif self.interp.executable == sys.executable:
            missing = _call_backend(
                runner,
                f"asking for {kind} build requirements",
                lambda: builder.check_dependencies(kind, settings),
            )
            if missing:
                names = sorted({chain[0] for chain in missing})
                raise ProjectError(
                    f"build requirements missing for --no-isolation: {', '.join(names)}",
                    hint="Install them in this environment, or build without --no-isolation.",
                )

    def run(self, srcdir: Path, dest: Path) -> list[Artifact]:
        from hwb.build.isolation import IsolatedEnv

        opts = self.options
        settings = dict(opts.config_settings) or None
        dest.mkdir(parents=True)
        extra: dict[str, str] = {"SOURCE_DATE_EPOCH": self.sde} if self.sde else {}
        built: list[tuple[str, Kind]] = []
        with ExitStack() as stack:
            env: IsolatedEnv | None = None
            python = self.interp.executable
            if opts.isolation:
                env = stack.enter_context(IsolatedEnv(self.interp, opts.installer))
                python = env.python_executable
                extra.update(env.make_extra_environ())
            runner = _Runner(extra)
            source = srcdir
            if opts.sdist:
                with log.step(_log, "Building sdist"):
                    builder = _new_builder(source, python, runner)
                    self._prepare(builder, env, "sdist", runner)
                    sdist = _call_backend(
                        runner, "building the sdist", lambda: builder.build("sdist", dest, settings)
                    )
                    built.append((sdist, "sdist"))
                if opts.wheel:
                    source = extract_sdist(Path(sdist), dest.parent / f"{dest.name}-src")
            if opts.wheel:
                title = "Building wheel from sdist" if opts.sdist else "Building wheel"
                with log.step(_log, title):
                    builder = _new_builder(source, python, runner)
                    self._prepare(builder, env, "wheel", runner)
                    wheel = _call_backend(
                        runner, "building the wheel", lambda: builder.build("wheel", dest, settings)
                    )
                    built.append((wheel, "wheel"))
        artifacts = []
        for path_str, kind in built:
            path = _checked_artifact(Path(path_str), dest, kind)
            if not path.is_file():
                raise BuildError(
                    f"the build backend reported {path.name} but wrote no such file",
                    hint=f"The backend's build_{kind} hook must write the file it returns; "
                    "this is a bug in the backend.",
                )
            artifacts.append(Artifact.from_path(path, kind))
        return artifacts


#: What a PEP 517 backend writes (a .zip sdist is a distribution, but no backend's output).
_SUFFIX: dict[str, tuple[str, ...]] = {
    "wheel": (distfiles.WHEEL_SUFFIX,),
    "sdist": (distfiles.SDIST_SUFFIX,),
}


def _checked_artifact(path: Path, dest: Path, kind: Kind) -> Path:
    """The backend's answer must name a file it wrote in the staging folder, of the right
    kind: anything else (``../x.whl``, an absolute path, ``setup.py``) would move a file from
    elsewhere into the output directory."""
    if path.parent.resolve() != dest.resolve() or path.is_symlink():
        raise BuildError(
            f"the build backend returned {path}, which is not in the folder it was given",
            hint=f"The backend's build_{kind} hook must write into its output folder; this is a "
            "bug in the backend.",
        )
    if not path.name.endswith(_SUFFIX[kind]):
        raise BuildError(
            f"the build backend returned {path.name!r}, which is not a {kind} "
            f"({' or '.join(_SUFFIX[kind])})",
            hint=f"The backend's build_{kind} hook must return the file name of the {kind}.",
        )
    return path


def _compare(first: list[Artifact], second: list[Artifact]) -> None:
    a = {x.name: x.sha256 for x in first}
    b = {x.name: x.sha256 for x in second}
    differing = sorted(n for n in a.keys() | b.keys() if a.get(n) != b.get(n))
    if differing:
        raise ReproducibilityError(
            f"two builds of the same source differ: {', '.join(differing)}",
            hint="Set SOURCE_DATE_EPOCH and use a backend with reproducible output "
            "(hatchling, flit_core; setuptools sdists are not reproducible).",
        )


def write_checksums(outdir: Path, artifacts: list[Artifact]) -> Path:
    """Write ``SHA256SUMS`` in the format ``sha256sum -c`` verifies, atomically."""
    target = outdir / "SHA256SUMS"
    text = "".join(f"{a.sha256}  {a.name}\n" for a in sorted(artifacts, key=lambda a: a.name))
    write_atomic(target, text)
    return target


def build_project(
    srcdir: Path, options: BuildSettings, pyproject_data: Mapping[str, Any] | None = None
) -> BuildResult:
    """Build the project in ``srcdir`` as ``options`` say; artifacts land in ``options.outdir``."""
    started = time.monotonic()
    if not options.wheel and not options.sdist:
        raise UsageError("nothing to build: both wheel and sdist are turned off")
    if is_sdist_file(srcdir):
        return _build_from_sdist_file(srcdir, options, started)
    srcdir = check_project(srcdir, pyproject_data)
    interp = interpreters.find(options.python)
    sde = source_date_epoch(srcdir)
    session = _Session(options, interp, sde)
    # Folders this run creates for outdir, removed again if the build fails: a failed build
    # leaves --outdir exactly as it was.
    created: list[Path] = []
    try:  # exists() itself fails on a name the OS refuses (ENAMETOOLONG)
        created = [p for p in (options.outdir, *options.outdir.parents) if not p.exists()]
        options.outdir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".hwb-build-", dir=options.outdir))
    except OSError as exc:
        _remove_empty(created)
        shown = str(options.outdir)
        shown = shown if len(shown) <= 200 else f"{shown[:100]}... ({len(shown)} characters)"
        raise ProjectError(
            f"cannot write to the output directory {shown}: {exc.strerror or exc}",
            hint="Choose a writable --outdir (a directory, or a path that can become one).",
        ) from None
    succeeded = False
    try:
        first = session.run(srcdir, staging / "a")
        reproducible = None
        if options.verify_reproducible:
            with log.step(_log, "Building again to verify reproducibility"):
                second = session.__class__(options, interp, sde).run(srcdir, staging / "b")
            _compare(first, second)
            reproducible = True
        artifacts = []
        for artifact in first:
            final = options.outdir / artifact.name
            artifact.path.replace(final)
            artifacts.append(Artifact(final, artifact.kind, artifact.size, artifact.sha256))
        succeeded = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not succeeded:
            _remove_empty(created)
    checksum = write_checksums(options.outdir, artifacts) if options.checksum else None
    installer = "none" if not options.isolation else _installer_name(options.installer)
    return BuildResult(
        project=srcdir,
        artifacts=artifacts,
        python=interp,
        installer=installer,
        source_date_epoch=sde,
        checksum_file=checksum,
        reproducible=reproducible,
        seconds=time.monotonic() - started,
    )


def _build_from_sdist_file(sdist: Path, options: BuildSettings, started: float) -> BuildResult:
    """Unpack the sdist into a temporary folder (every member checked first), build its wheel
    there, and report the sdist as the project."""
    if options.sdist:
        raise UsageError(
            f"{sdist.name} is already an sdist: only its wheel can be built",
            hint="Drop --sdist (hwb build FILE.tar.gz builds the wheel from it).",
        )
    with tempfile.TemporaryDirectory(prefix="hwb-sdist-") as tmp:
        with log.step(_log, f"Unpacking {sdist.name}"):
            srcdir = extract_sdist(sdist, Path(tmp) / "src", ProjectError)
        from hwb.settings.documents import load_toml

        pyproject = srcdir / "pyproject.toml"
        data = load_toml(pyproject) if pyproject.is_file() else None
        result = build_project(srcdir, options, pyproject_data=data)
    result.project = sdist.resolve()
    result.seconds = time.monotonic() - started
    return result


def _remove_empty(folders: list[Path]) -> None:
    """Remove folders this run created (deepest first), if still empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _installer_name(requested: str) -> str:
    from hwb.build.isolation import choose_installer

    return choose_installer(requested)[0]


def backend_version(srcdir: Path, installer: str = "auto") -> str:
    """Ask the build backend for the project's version (its wheel metadata), for dynamic
    versions (setuptools-scm, hatch-vcs, a ``__version__`` attribute)."""
    from hwb.build.isolation import IsolatedEnv

    srcdir = check_project(srcdir, None)
    interp = interpreters.current()
    sde = source_date_epoch(srcdir, warn=False)  # only the metadata: no archive is kept
    with IsolatedEnv(interp, installer) as env, tempfile.TemporaryDirectory() as tmp:
        runner = _Runner(env.make_extra_environ())
        builder = _new_builder(srcdir, env.python_executable, runner)
        _Session(BuildSettings(outdir=Path(tmp)), interp, sde)._prepare(
            builder, env, "wheel", runner
        )
        meta_dir = _call_backend(
            runner, "preparing the metadata", lambda: builder.metadata_path(tmp)
        )
        for line in Path(meta_dir, "METADATA").read_text("utf-8").splitlines():
            if line.startswith("Version:"):
                return line.partition(":")[2].strip()
    raise BuildError("the backend's metadata has no Version field")
