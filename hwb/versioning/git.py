"""Git operations for releases, through :mod:`hwb.proc`, each failure a :class:`GitError`
that says how to fix it.

Every value that came from a user or a repository (a revision, a tag, a path) reaches git after
``--end-of-options`` or ``--``, so none can be read as an option (``--output=FILE``)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwb import log, proc
from hwb.errors import GitError, ToolTimeoutError, UsageError
from hwb.refnames import revision_problem

_log = log.get("git")


@dataclass(frozen=True)
class Repo:
    root: Path

    def run(
        self, *args: str, check: bool = True, what: str | None = None, timeout: float | None = None
    ) -> proc.Completed:
        # git may push with a token credential helpers read from the environment.
        result = proc.run(
            ["git", *args],
            cwd=self.root,
            stream_level=log.TRACE,
            keep_credentials=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            detail = result.tail(3)
            raise GitError(
                f"git {what or args[0]} failed: {detail[-1] if detail else 'no output'}",
                hint="Run the git command by hand to see why (or rerun with -vv).",
            )
        return result

    def out(self, *args: str) -> str:
        return self.run(*args).output.strip()


def open_repo(path: Path) -> Repo:
    result = proc.run(["git", "rev-parse", "--show-toplevel"], cwd=path, stream_level=log.TRACE)
    if result.returncode != 0:
        raise GitError(
            f"{path} is not in a git repository",
            hint="Run inside a git checkout (git init, or clone the project).",
        )
    return Repo(Path(result.lines[-1].strip()))


def is_dirty(repo: Repo) -> list[str]:
    """Tracked files with uncommitted changes (untracked files do not count)."""
    return [
        line[3:] for line in repo.run("status", "--porcelain", "--untracked-files=no").lines if line
    ]


def current_branch(repo: Repo) -> str:
    result = repo.run("symbolic-ref", "--short", "-q", "HEAD", check=False)
    if result.returncode != 0:
        raise GitError(
            "HEAD is detached: a release commit would belong to no branch",
            hint="Check out the release branch (git switch main); in GitHub Actions, check out "
            "the branch rather than the commit (actions/checkout with ref: main).",
        )
    return result.output.strip()


def upstream(repo: Repo, branch: str) -> tuple[str, str]:
    """(remote, remote branch) that ``branch`` tracks."""
    remote = repo.run("config", f"branch.{branch}.remote", check=False).output.strip()
    merge = repo.run("config", f"branch.{branch}.merge", check=False).output.strip()
    if not remote or not merge:
        raise GitError(
            f"branch {branch} has no upstream to push to",
            hint=f"Set one: git push -u origin {branch} (or git branch --set-upstream-to).",
        )
    return remote, merge.removeprefix("refs/heads/")


def check_revision(rev: str, option: str) -> str:
    """``rev`` if git can take it as a revision (never as an option); else a UsageError."""
    problem = revision_problem(rev)
    if problem:
        raise UsageError(
            f"{option} {rev!r} is not a git revision: {problem}",
            hint=f"Give {option} a tag, branch or commit (e.g. v1.2.0 or HEAD~3).",
        )
    return rev


def tag_exists(repo: Repo, tag: str) -> bool:
    result = repo.run("rev-parse", "-q", "--verify", "--end-of-options", f"refs/tags/{tag}",
                      check=False)  # fmt: skip
    return result.returncode == 0


def tags_merged(repo: Repo, ref: str = "HEAD") -> list[str]:
    """Tags reachable from ``ref``, newest first (by commit date, then version-aware name)."""
    result = repo.run(
        "tag", f"--merged={ref}", "--sort=-creatordate", "--sort=-v:refname", check=False
    )
    return [t for t in result.lines if t] if result.returncode == 0 else []


def all_tags(repo: Repo) -> list[str]:
    """Every tag, reachable from HEAD or not."""
    result = repo.run("tag", "--list", check=False)
    return [t for t in result.lines if t] if result.returncode == 0 else []


def is_ancestor(repo: Repo, ancestor: str, ref: str = "HEAD") -> bool:
    result = repo.run("merge-base", "--is-ancestor", "--end-of-options", ancestor, ref, check=False)
    return result.returncode == 0


def last_version_change(
    repo: Repo, paths: list[str], pattern: str, ref: str = "HEAD"
) -> str | None:
    """The newest commit before ``ref`` (``ref`` itself excluded: it may be the release commit)
    that changed a version line of ``paths`` (one matching ``pattern``, a POSIX regex) from one
    value to a final release's: the last release. Adding the line (the first commit, a move)
    is none."""
    result = repo.run(
        "log", "-p", "-U0", "--format=\x1e%H", "-G", pattern, "--end-of-options", f"{ref}^",
        "--", *paths,
        check=False,
    )  # fmt: skip
    if result.returncode != 0:
        return None
    line_re = re.compile(pattern)
    for record in result.output.split("\x1e")[1:]:
        sha, _, diff = record.partition("\n")
        removed: set[str] = set()
        added: set[str] = set()
        for line in diff.splitlines():
            if line[:1] in "+-" and not line.startswith(("+++", "---")):
                match = line_re.match(line[1:])
                if match:
                    value = line[1 + match.end() :].split("#")[0].strip().strip("\"'")
                    (added if line[0] == "+" else removed).add(value)
        if removed and added and removed != added and any(map(_is_final, added)):
            return sha.strip()
    return None


def _is_final(text: str) -> bool:
    """A final release's version (``3.0.2``): setting one is a release; ``3.1.0.dev`` is the
    start of the next cycle, ``3.0.2rc1`` a pre-release, neither ends the notes."""
    from packaging.version import Version

    try:
        return not Version(text).is_prerelease
    except ValueError:  # InvalidVersion, or a part past int()'s digit limit
        return False


#: How long deepening a shallow clone may take before hwb gives up (seconds).
UNSHALLOW_TIMEOUT = 300.0
_FETCH_DEPTH_HINT = (
    "Fetch the whole history: in GitHub Actions, actions/checkout with fetch-depth: 0; in "
    "GitLab, GIT_DEPTH: 0; locally, git fetch --unshallow --tags."
)


def is_shallow(repo: Repo) -> bool:
    return repo.out("rev-parse", "--is-shallow-repository") == "true"


def ensure_history(repo: Repo, timeout: float = UNSHALLOW_TIMEOUT) -> None:
    """Release notes and bumps read the history back to the previous release: a shallow clone
    (CI's default checkout) has neither, and would give "No changes." Deepen it from its remote,
    tags included, or fail saying how to fetch it."""
    if not is_shallow(repo):
        return
    remotes = [r for r in repo.run("remote", check=False).lines if r.strip()]
    if not remotes:
        raise GitError(
            "the repository is a shallow clone with no remote to fetch its history from",
            hint=_FETCH_DEPTH_HINT,
        )
    remote = "origin" if "origin" in remotes else remotes[0]
    _log.warning("the repository is a shallow clone: fetching its history and tags from %s", remote)
    try:
        result = repo.run(
            "fetch", "--quiet", "--unshallow", "--tags", remote, check=False, timeout=timeout
        )
    except ToolTimeoutError:
        result = None
    if result is None or result.returncode != 0 or is_shallow(repo):
        why = (
            f"gave up after {timeout:.0f} s"
            if result is None
            else (result.tail(1)[-1] if result.tail(1) else "it failed")
        )
        raise GitError(
            f"the repository is a shallow clone and deepening it from {remote} failed: {why}",
            hint=_FETCH_DEPTH_HINT,
        )


def tags_at(repo: Repo, ref: str = "HEAD") -> list[str]:
    return [t for t in repo.run("tag", f"--points-at={ref}").lines if t]


def head_sha(repo: Repo) -> str:
    return repo.out("rev-parse", "HEAD")


def commit(repo: Repo, files: list[Path], message: str) -> str:
    repo.run("add", "--", *(str(f) for f in files))
    repo.run("commit", "-q", "-m", message, "--", *(str(f) for f in files))
    return head_sha(repo)


def tag(repo: Repo, name: str, message: str) -> None:
    repo.run("tag", "-a", "-m", message, "--end-of-options", name)


def push(repo: Repo, remote: str, branch: str, remote_branch: str, tags: list[str]) -> None:
    """Push the branch and tags atomically: the remote gets both or neither."""
    refs = [f"HEAD:refs/heads/{remote_branch}", *(f"refs/tags/{t}:refs/tags/{t}" for t in tags)]
    result = repo.run(
        "push", "--atomic", "--porcelain", "--end-of-options", remote, *refs, check=False
    )
    if result.returncode != 0:
        raise _push_error(result.lines, remote, remote_branch)


#: What git (and the hosts' servers) print when the credentials are refused or missing.
_AUTH_REFUSED = re.compile(
    r"authentication failed|could not read (username|password)|permission denied|"
    # a status only as git prints one ("returned error: 403"), never digits in a path
    r"access denied|(?:returned error|HTTP(?:/[\d.]+)?)[: ]+40[13]\b|not authorized|"
    r"invalid username or password|"
    r"terminal prompts disabled|publickey",
    re.IGNORECASE,
)
_RACED = re.compile(r"non-fast-forward|fetch first|\[rejected\]|stale info", re.IGNORECASE)


def _push_error(lines: list[str], remote: str, remote_branch: str) -> GitError:
    """Tell a refused login from a lost race: they need opposite fixes."""
    from hwb.redaction import strip_userinfo_in

    # git quotes the remote's URL as written, with a password it could not parse out (an
    # unencoded / # ?): everything that could be userinfo goes before the message is built.
    lines = [strip_userinfo_in(line) for line in lines]
    text = "\n".join(lines)
    reason = next((ln.strip() for ln in lines if "rejected" in ln or "error" in ln), "")
    reason = reason or next((ln.strip() for ln in reversed(lines) if ln.strip()), "")
    said = f": {reason}" if reason else ""
    if _AUTH_REFUSED.search(text):
        return GitError(
            f"git push to {remote} was refused: authentication failed{said}",
            hint=f"Give the job push rights to {remote} (in GitHub Actions: permissions: "
            "contents: write; in GitLab: a token with write_repository), then rerun.",
        )
    if _RACED.search(text):
        return GitError(
            f"git push to {remote} was rejected{said}",
            hint=f"Someone pushed to {remote}/{remote_branch} first: pull (git pull --rebase) "
            "and run the bump again.",
        )
    return GitError(
        f"git push to {remote} failed{said}",
        hint="Run the push by hand (or rerun with -vv) to see why.",
    )


def save_index(repo: Repo) -> str | None:
    """The index as a tree object, to put back if the release fails (None when it cannot be
    written as a tree: unmerged entries)."""
    result = repo.run("write-tree", check=False)
    return result.output.strip() if result.returncode == 0 else None


def undo_release(
    repo: Repo,
    commit_made: str | None,
    tag_made: str | None,
    index: str | None = None,
    paths: Sequence[Path] = (),
) -> bool:
    """Undo a local release commit and tag, and put the index back as it was: a hook that
    refused the commit (or a signal while it ran) leaves the bump staged otherwise. The caller
    restores the files themselves. The commit is taken back only while it is still HEAD, never
    a commit someone made after it: False (and nothing undone but the tag) when it is not."""
    if tag_made:
        repo.run("tag", "-d", "--end-of-options", tag_made, check=False)
    if commit_made:
        if repo.run("rev-parse", "HEAD", check=False).output.strip() != commit_made:
            return False
        # --soft: the working tree is the caller's to restore (--hard would also drop changes
        # --allow-dirty let through, or someone else's since).
        repo.run("reset", "-q", "--soft", "HEAD~1", check=False)
    if index is not None:
        repo.run("read-tree", "--end-of-options", index, check=False)
        repo.run("update-index", "-q", "--refresh", check=False)
    elif paths:
        repo.run("reset", "-q", "--", *(str(p) for p in paths), check=False)
    return True


#: How long a release waits for another one in the same repository before giving up.
LOCK_WAIT = 300.0


@contextlib.contextmanager
def release_lock(repo: Repo, wait: float = LOCK_WAIT) -> Iterator[None]:
    """One release (read the version, write, commit, tag, push) at a time per repository: an
    OS file lock in the git directory (``filelock``: released by the OS if hwb dies), shared
    by every worktree of the repository."""
    from filelock import FileLock, Timeout

    common = Path(repo.out("rev-parse", "--git-common-dir"))
    lock = FileLock(
        (repo.root / common if not common.is_absolute() else common) / "hwb-release.lock",
        timeout=wait,
        thread_local=False,
        is_singleton=False,
    )
    try:
        lock.acquire()
    except Timeout:
        raise GitError(
            f"another hwb release has been running in {repo.root} for {wait:.0f} s",
            hint="Wait for it to finish (or stop it), then run the bump again.",
        ) from None
    try:
        yield
    finally:
        lock.release()


_REMOTE = re.compile(
    r"^(?:https?://|ssh://)?(?:[^@/]+@)?(?P<host>[^:/]+)[:/](?:\d+/)?(?P<path>.+?)(?:\.git)?/?$"
)


def web_url(repo: Repo, remote: str = "origin") -> str | None:
    """The https URL of the remote's project page, for links (None when it is no web host)."""
    url = repo.run("remote", "get-url", remote, check=False).output.strip()
    # A file:// URL or a path (a local mirror, a CI cache) has no web page.
    web = url.startswith(("http://", "https://", "ssh://", "git://")) or (
        "@" in url and "://" not in url
    )
    match = _REMOTE.match(url.removeprefix("git://")) if web else None
    if match is None:
        return None
    return f"https://{match['host']}/{match['path']}"
