"""Real git repositories for tests, with deterministic authors and dates (so commit SHAs, and
so golden changelogs, are stable)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class GitRepo:
    path: Path
    clock: int = 1_760_000_000
    env: dict[str, str] = field(default_factory=dict)

    def git(
        self, *args: str, author: tuple[str, str] = ("Dana Dev", "dana@example.invalid")
    ) -> str:
        self.clock += 3600
        date = f"@{self.clock} +0000"
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": author[0],
            "GIT_COMMITTER_EMAIL": author[1],
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        out = subprocess.run(
            ["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {out.stderr}")
        return out.stdout.strip()

    def write(self, name: str, text: str) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def commit(
        self,
        message: str,
        author: tuple[str, str] = ("Dana Dev", "dana@example.invalid"),
        files: dict[str, str] | None = None,
    ) -> str:
        for name, text in (files or {}).items():
            self.write(name, text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, author=author)
        return self.git("rev-parse", "HEAD")


def init_repo(path: Path, remote: Path | None = None) -> GitRepo:
    path.mkdir(parents=True, exist_ok=True)
    repo = GitRepo(path)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "user.name", "Dana Dev")
    repo.git("config", "user.email", "dana@example.invalid")
    repo.git("config", "tag.gpgSign", "false")
    repo.git("config", "commit.gpgSign", "false")
    if remote is not None:
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
        repo.git("remote", "add", "origin", str(remote))
    return repo
