"""Real histories, replayed: a cut of a project's git history pinned as JSON (each commit's
parents, author, date, whole message, and the ``[project].version`` its pyproject.toml held;
the tags among them; see tests/fixtures/README.md) becomes a git repository with the same
graph, messages, authors, version bumps and tags (a merge whose other parent lies outside the
cut, ``"merge": true``, gets the cut's first commit in its place). Only the files differ: each
commit's tree is the pyproject.toml with that version."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

HISTORIES = Path(__file__).parent / "fixtures" / "histories"


@dataclass
class Replayed:
    path: Path
    #: Original sha -> the replayed commit's sha.
    shas: dict[str, str]
    tags: dict[str, str]

    def git(self, *args: str) -> str:
        return _git(self.path, *args)

    def checkout(self, original: str) -> None:
        """Put branch main at the replay of an original commit (a release workflow's checkout
        of that commit), checked out."""
        self.git("checkout", "-q", "-B", "main", self.shas[original])

    def checkout_tag(self, tag: str) -> None:
        self.git("checkout", "-q", "-B", "main", self.tags[tag])


def _git(cwd: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    who = {"NAME": "Dana Dev", "EMAIL": "dana@example.invalid"}
    base = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    base |= {
        f"GIT_{role}_{key}": value for role in ("AUTHOR", "COMMITTER") for key, value in who.items()
    }
    out = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, env={**base, **(env or {})},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {out.stderr}")
    return out.stdout.strip()


def load(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((HISTORIES / name).read_text("utf-8"))
    return data


def replay(name: str, where: Path, *, tags: bool = True) -> Replayed:
    data = json.loads((HISTORIES / name).read_text("utf-8"))
    where.mkdir(parents=True)
    _git(where, "init", "-q", "-b", "main")
    shas: dict[str, str] = {}
    for c in data["commits"]:
        files = []
        if c["version"] is not None:
            text = f'[project]\nname = "{data["project"]}"\nversion = "{c["version"]}"\n'
            blob = _git(where, "hash-object", "-w", "--stdin", stdin=text)
            files.append(f"100644 blob {blob}\tpyproject.toml\n")
        tree = _git(where, "mktree", stdin="".join(files))
        name_, email = c["author"]
        env = {
            "GIT_AUTHOR_NAME": name_, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": c["date"],
            "GIT_COMMITTER_NAME": name_, "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": c["date"],
        }  # fmt: skip
        parents = [shas[p] for p in c["parents"]]
        if c.get("merge") and len(parents) < 2:
            # A merge whose other parent is outside the cut: the cut's first commit stands for
            # it, so that it stays a merge (skipped by the notes) and brings nothing new.
            parents.append(shas[data["commits"][0]["sha"]])
        parents = [arg for sha in dict.fromkeys(parents) for arg in ("-p", sha)]
        shas[c["sha"]] = _git(where, "commit-tree", tree, *parents, "-F", "-",
                              stdin=c["message"], env=env)  # fmt: skip
    made: dict[str, str] = {}
    if tags:
        for tag, sha in data["tags"].items():
            date = next(c["date"] for c in data["commits"] if c["sha"] == sha)
            env = {"GIT_COMMITTER_NAME": "tagger", "GIT_COMMITTER_EMAIL": "tagger@example.invalid",
                   "GIT_COMMITTER_DATE": date}  # fmt: skip
            _git(where, "tag", "-a", tag, shas[sha], "-m", tag, env=env)
            made[tag] = shas[sha]
    last = data["commits"][-1]["sha"]
    _git(where, "checkout", "-q", "-B", "main", shas[last])
    return Replayed(where, shas, made)
