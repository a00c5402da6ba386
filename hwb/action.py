"""The GitHub Action's entry point: ``python -m hwb.action``.

``action.yml`` hands every input to this module through ``env:`` as ``HWB_ACTION_<NAME>``
(``package-dir`` -> ``HWB_ACTION_PACKAGE_DIR``); no input is ever spliced into a shell line, so
an input cannot inject commands. Here the inputs become one hwb command line: booleans are
checked, ``args`` is split with :func:`shlex.split` (quotes honoured, nothing expanded), and
``user``/``password`` travel as ``HWB_REGISTRY_<NAME>_USERNAME``/``_PASSWORD`` in this process's
environment, never in argv (which the process list shows). No input but ``args`` becomes an
option: an input is an option's value in the ``--option=VALUE`` form, and a path given as a
positional argument that starts with ``-`` is written ``./-...`` (``package-dir: --outdir=/x``
is the folder of that name, not hwb's ``--outdir``).

The input variables are removed from the environment before hwb runs, so build backends and
other child processes never inherit the password.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hwb import distfiles
from hwb.errors import HwbError, UsageError
from hwb.redaction import ENCODE_HINT, argv_secrets, strip_userinfo

PREFIX = "HWB_ACTION_"

#: Every input of action.yml (``command`` is required).
INPUTS = (
    "command", "package-dir", "packages-dir", "output-dir", "sdist", "checksum", "repository",
    "repository-url", "user", "password", "skip-existing", "attestations", "verbose", "plan",
    "only", "platform", "args", "python",
)  # fmt: skip

_COMMON = frozenset({"command", "package-dir", "verbose", "args"})

#: command -> the inputs it takes besides the common ones.
COMMANDS: dict[str, frozenset[str]] = {
    "build": frozenset({"output-dir", "sdist", "checksum", "python"}),
    "inspect": frozenset({"packages-dir"}),
    "publish": frozenset(
        {"packages-dir", "repository", "repository-url", "user", "password"}
        | {"skip-existing", "attestations"}
    ),
    "matrix-plan": frozenset({"platform"}),
    "matrix-build": frozenset({"output-dir", "only", "platform"}),
    "gather": frozenset({"packages-dir", "output-dir", "plan", "checksum"}),
    "attest": frozenset({"packages-dir"}),
    "verify": frozenset({"packages-dir"}),
    "release-notes": frozenset(),
}

#: command -> the step outputs it sets (``actions/<command>/action.yml`` declares these).
OUTPUTS: dict[str, tuple[str, ...]] = {
    "build": ("dist-dir", "artifacts", "wheel", "sdist", "checksum-file", "version"),
    "inspect": (),
    "publish": ("uploaded", "failed"),
    "matrix-plan": ("matrix", "plan"),
    "matrix-build": ("wheelhouse", "wheels"),
    "gather": ("complete", "dist-dir", "artifacts", "checksum-file"),
    "attest": (),
    "verify": (),
    "release-notes": ("release-notes", "version"),
}

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_HINT = "See the inputs in action.yml or the README's 'GitHub Action' section."


@dataclass
class Invocation:
    """What to run: hwb's argv, variables to add to the environment, and secrets to mask."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)


def env_name(name: str) -> str:
    """``package-dir`` -> ``HWB_ACTION_PACKAGE_DIR``."""
    return PREFIX + name.upper().replace("-", "_")


def inputs_of(command: str) -> tuple[str, ...]:
    """The inputs ``actions/<command>/action.yml`` declares, in action.yml's order (the
    command itself is fixed there)."""
    allowed = COMMANDS[command] | _COMMON
    return tuple(name for name in INPUTS if name in allowed and name != "command")


def read_inputs(environ: Mapping[str, str]) -> dict[str, str]:
    """The inputs that were given (empty means not given, as in GitHub's own actions)."""
    return {
        name: environ[env_name(name)].strip()
        for name in INPUTS
        if environ.get(env_name(name), "").strip()
    }


def _flag(inputs: Mapping[str, str], name: str) -> bool | None:
    if name not in inputs:
        return None
    value = inputs[name].lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise UsageError(f"input {name}: expected true or false, got {inputs[name]!r}", hint=_HINT)


def _switch(inputs: Mapping[str, str], name: str, option: str) -> list[str]:
    """``--option``/``--no-option`` for a true/false input; nothing when it was not given."""
    value = _flag(inputs, name)
    if value is None:
        return []
    return [f"--{option}" if value else f"--no-{option}"]


def _names(value: str) -> list[str]:
    """Registry names, newline- or comma-separated (as a YAML block or one line)."""
    return [n.strip() for n in value.replace(",", "\n").splitlines() if n.strip()]


def _path(value: str) -> str:
    """A path for a positional argument: one starting with ``-`` would be read as an option."""
    return "./" + value if value.startswith("-") else value


def _split_args(value: str) -> list[str]:
    try:
        return shlex.split(value, comments=False, posix=True)
    except ValueError as exc:  # an unbalanced quote; args may hold a token: never shown
        raise UsageError(
            f"input args: cannot split it: {exc}",
            hint="Quote arguments as in a POSIX shell; nothing in args is expanded.",
        ) from None


def _dists(directory: Path) -> list[str]:
    """The distributions in a folder, for the commands that take files (verify)."""
    if not directory.is_dir():
        raise UsageError(
            f"input packages-dir: {directory} is not a directory",
            hint="Build first, or download the distributions artifact into it.",
        )
    files = distfiles.in_folder(directory)
    if not files:
        raise UsageError(f"input packages-dir: no wheels or sdists in {directory}", hint=_HINT)
    return [_path(str(p)) for p in files]


def _credentials(inputs: Mapping[str, str], targets: Sequence[str]) -> Invocation:
    """``user``/``password`` as the registry variables hwb publish reads for each target."""
    from hwb.settings.environment import registry_env_prefix as env_prefix

    found = Invocation([])
    password = inputs.get("password")
    if "user" in inputs and password is None:
        raise UsageError("input user is set but password is not", hint="Set both, or neither.")
    if password is None:
        return found
    found.secrets.append(password)
    for name in targets:
        prefix = env_prefix(name)
        found.env[prefix + "PASSWORD"] = password
        found.env[prefix + "USERNAME"] = inputs.get("user", "__token__")
    return found


def _publish(inputs: Mapping[str, str], packages: str, project: str, inv: Invocation) -> None:
    from hwb.publish.targets import url_target_name

    argv = inv.argv
    argv += ["publish", _path(packages), f"--project={project}"]
    if "repository-url" in inputs and "repository" in inputs:
        raise UsageError(
            "inputs repository and repository-url contradict each other",
            hint="repository names registries from [tool.hwb.registries]; "
            "repository-url is one upload URL. Set one.",
        )
    if "repository-url" in inputs:
        url = inputs["repository-url"]
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in {"http", "https", "s3", "file"}
            or not (parts.netloc or parts.path)
        ):
            raise UsageError(  # never printed whole: an unencoded password may be what broke it
                f"input repository-url: {strip_userinfo(url)!r} is not a URL",
                hint=f"{_HINT} {ENCODE_HINT}",
            )
        argv += [f"--url={url}"]
        targets = [url_target_name(url)]
    else:
        targets = _names(inputs.get("repository", ""))
        for name in targets:
            argv += [f"--repository={name}"]
    argv += _switch(inputs, "skip-existing", "skip-existing")
    argv += _switch(inputs, "attestations", "attestations")
    creds = _credentials(inputs, targets or ["pypi"])
    inv.env.update(creds.env)
    inv.secrets += creds.secrets


def build_invocation(environ: Mapping[str, str]) -> Invocation:
    """Map the action's inputs (``HWB_ACTION_*`` variables) to an hwb command line."""
    inputs = read_inputs(environ)
    command = inputs.get("command")
    if command is None:
        raise UsageError(
            "input command is required",
            hint=f"Set command: to one of {', '.join(COMMANDS)}.",
        )
    if command not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(command, list(COMMANDS), n=1)
        raise UsageError(
            f"input command: unknown command {command!r}"
            + (f"; did you mean {close[0]!r}?" if close else ""),
            hint=f"One of {', '.join(COMMANDS)}.",
        )
    allowed = COMMANDS[command] | _COMMON
    stray = sorted(set(inputs) - allowed)
    if stray:
        raise UsageError(
            f"input(s) {', '.join(stray)} do not apply to command {command}",
            hint=f"{command} takes: {', '.join(sorted(allowed - {'command'}))}.",
        )

    project = inputs.get("package-dir", ".")
    packages = inputs.get("packages-dir") or str(Path(project) / "dist")
    argv = ["-v"] if _flag(inputs, "verbose") else []
    inv = Invocation(argv)
    given = {name: value for name, value in inputs.items() if name not in {"args", "command"}}
    python = [f"--python={given['python']}"] if "python" in given else []
    plan = [f"--plan={given['plan']}"] if "plan" in given else []
    only = [f"--only={given['only']}"] if "only" in given else []
    platform = [f"--platform={given['platform']}"] if "platform" in given else []
    out = given.get("output-dir")

    if command == "build":
        outdir = [f"--outdir={out}"] if out else []
        argv += ["build", _path(project), *_switch(inputs, "sdist", "sdist"), *outdir]
        argv += [*_switch(inputs, "checksum", "checksum"), *python]
    elif command == "inspect":
        argv += ["inspect", _path(packages), f"--project={project}"]
    elif command == "publish":
        _publish(inputs, packages, project, inv)
    elif command == "matrix-plan":
        argv += ["matrix", "plan", _path(project), "--format=github", *platform]
    elif command == "matrix-build":
        outdir = [f"--output-dir={out}"] if out else []
        argv += ["matrix", "build", _path(project), *only, *platform, *outdir]
    elif command == "gather":
        checksum = ["--checksum"] if _flag(inputs, "checksum") else []  # a flag only
        outdir = [f"--outdir={out}"] if out else []
        argv += ["gather", _path(packages), *plan, *outdir, *checksum]
    elif command == "attest":
        argv += ["attest", _path(packages)]
    elif command == "verify":
        argv += ["verify", *_dists(Path(packages))]
    elif command == "release-notes":
        argv += ["version", "changelog", "--format=github", f"--project={project}"]
    argv += _split_args(inputs.get("args", ""))
    return inv


def _input_secrets(environ: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """The secrets in the args and repository-url inputs, read from the raw values (args that
    will not split are cut at blanks, so an unbalanced quote elsewhere hides nothing)."""
    raw = environ.get(env_name("args"), "")
    try:
        args = shlex.split(raw, comments=False, posix=True)
    except ValueError:
        args = raw.split()
    url = environ.get(env_name("repository-url"), "").strip()
    return list(argv_secrets([*args, *([url] if url else [])]))


def run(environ: MutableMapping[str, str] | None = None) -> int:
    """Run hwb as the action's inputs say; returns its exit code."""
    from hwb.cli import main as cli_main
    from hwb.output import Output

    environ = os.environ if environ is None else environ
    out = Output(environ=environ)
    # Every secret among the inputs is masked before anything could print it: the password,
    # a repository-url's userinfo and the secret options in args.
    out.mask(environ.get(env_name("password"), "").strip())
    for secret, user in _input_secrets(environ):
        out.mask(secret, user)
    try:
        inv = build_invocation(environ)
    except HwbError as exc:
        out.report_exception(exc)
        return exc.exit_code
    finally:
        for name in INPUTS:  # child processes (build backends) must not inherit them
            environ.pop(env_name(name), None)
    environ.update(inv.env)
    out.info("hwb " + shlex.join(inv.argv))
    return cli_main(inv.argv)


if __name__ == "__main__":
    sys.exit(run())
