"""``hwb build``."""

from __future__ import annotations

from pathlib import Path

import click

from hwb.commands.options import Overrides, given, human_size, resolve_config, state_output
from hwb.distfiles import version_of
from hwb.errors import UsageError


def _parse_settings(values: tuple[str, ...]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not key:
            raise UsageError(f"-C {item!r}: expected KEY=VALUE")
        settings[key] = value if sep else ""
    return settings


_OVERRIDES: Overrides = {
    "sdist": "build.sdist",
    "wheel": "build.wheel",
    "checksum": "build.checksum",
    "python": "build.python",
    "installer": "build.installer",
    "verify_reproducible": "build.verify-reproducible",
    # Relative to the current directory, as `python -m build -o` and `uv build -o` do
    # ([tool.hwb.build] outdir, written in the project, stays relative to the project).
    "outdir": ("build.outdir", lambda outdir: str(Path.cwd() / outdir)),
    "no_isolation": ("build.isolation", lambda _: False),
    "config_settings": ("build.config-settings", _parse_settings),
}


@click.command()
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("--sdist/--no-sdist", default=None, help="Build an sdist, then the wheel from it.")
@click.option("--wheel/--no-wheel", default=None, help="Build a wheel (default).")
@click.option("-o", "--outdir", type=click.Path(path_type=Path), help="Output directory [dist/].")
@click.option(
    "-C",
    "--config-setting",
    "config_settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="PEP 517 config setting for the backend (repeatable).",
)
@click.option(
    "--checksum/--no-checksum", default=None, help="Write SHA256SUMS (sha256sum -c format)."
)
@click.option("--python", "python", metavar="X.Y|PATH", help="Interpreter to build with.")
@click.option(
    "--no-isolation",
    "no_isolation",
    is_flag=True,
    default=None,
    help="Build in the current environment instead of an isolated one.",
)
@click.option(
    "--installer", type=click.Choice(["auto", "uv", "pip"]), help="Isolated env installer [auto]."
)
@click.option(
    "--verify-reproducible/--no-verify-reproducible",
    default=None,
    help="Build twice in separate environments; fail if the artifacts differ.",
)
@click.pass_context
def build(ctx: click.Context, /, path: Path, **_: object) -> None:
    """Build the project in PATH (default: the current directory).

    PATH may also be an sdist (.tar.gz): its wheel is built from it, next to it."""
    from hwb.build.builder import build_project
    from hwb.settings.model import BuildSettings

    out = state_output(ctx)
    project = path.resolve() if path.exists() else path
    overrides = given(ctx, _OVERRIDES)
    if project.is_file() and ctx.params["outdir"] is None:
        # An sdist file: its wheel goes next to it, as `uv build FILE.tar.gz` does.
        overrides["build.outdir"] = str(project.parent)
    cfg, data = resolve_config(project, overrides, out)
    options = BuildSettings.from_config(cfg, project)
    with out.progress(f"building {project.name}"):
        result = build_project(project, options, pyproject_data=data)

    lines = [
        f"Built {len(result.artifacts)} artifact(s) in {result.seconds:.1f}s "
        f"(Python {result.python.version}, installer {result.installer}):"
    ]
    width = max(len(a.name) for a in result.artifacts)
    for a in result.artifacts:
        lines.append(
            f"  {a.kind:<5}  {a.name:<{width}}  {human_size(a.size):>9}  sha256:{a.sha256}"
        )
    if result.checksum_file:
        lines.append(f"Checksums: {result.checksum_file}")
    if result.reproducible:
        lines.append("Reproducible: two independent builds gave identical artifacts.")
    out.result(result.to_dict(), "\n".join(lines))

    rows = "\n".join(
        f"| `{a.name}` | {a.kind} | {a.size} | `{a.sha256}` |" for a in result.artifacts
    )
    out.summary(
        f"### hwb build\n\n| Artifact | Kind | Size (bytes) | SHA256 |\n|---|---|---|---|\n{rows}"
    )
    outputs = {
        "dist-dir": str(options.outdir),
        "artifacts": "\n".join(str(a.path) for a in result.artifacts),
    }
    for a in result.artifacts:
        outputs[a.kind] = str(a.path)
    version = version_of(result.artifacts[0].name)
    if version:
        outputs["version"] = str(version)
    if result.checksum_file:
        outputs["checksum-file"] = str(result.checksum_file)
    out.set_outputs(outputs)
