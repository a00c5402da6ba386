"""uv-bootstrap.py (workflows-templates/): the one stdlib-only installer of uv that the Action
(actions/install.sh) and the GitLab templates share; its copies in the GitLab pipelines are the
same text, and a wheel that does not match the pinned sha256 is refused."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from hwb.matrix import plan as planning

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "workflows-templates" / "uv-bootstrap.py"


def test_the_gitlab_template_writes_the_same_script_its_install_runs() -> None:
    doc = yaml.safe_load((ROOT / "workflows-templates/gitlab/hwb.gitlab-ci.yml").read_text())
    lines = doc[".hwb-base"]["before_script"]
    assert lines[0] == planning.bootstrap_script()
    head, _, rest = lines[0].partition("\n")
    assert head == f"cat > {planning.BOOTSTRAP_FILE} <<'HWB_UV_BOOTSTRAP'"
    assert rest == SCRIPT.read_text() + "HWB_UV_BOOTSTRAP\n"
    install = doc["variables"]["HWB_INSTALL"]
    assert install == planning.INSTALL
    assert "pip install" not in install.replace("uv pip install", "")  # no pip
    # Plain words joined by "&&": nothing a template must eval.
    for command in install.split("&&"):
        assert not set(command) & set("'\"$;|`<>(){}*?")


def test_the_child_pipeline_writes_the_script_before_every_posix_install() -> None:
    jobs = [
        planning.Job("linux", "ubuntu-latest", "linux", "x86_64", ("cp312-manylinux_x86_64",)),
        planning.Job("macos", "macos-15", "macos", "arm64", ("cp312-macosx_arm64",)),
        planning.Job("windows", "windows-latest", "windows", "AMD64", ("cp312-win_amd64",)),
    ]
    the_plan = planning.Plan("p", "1.0", ["linux", "macos", "windows"], "platform-arch", jobs,
                             sdist=True)  # fmt: skip
    doc = planning.gitlab_pipeline(the_plan, planning.GitlabOptions())
    for name in ("hwb-wheels-linux-x86_64", "hwb-wheels-macos-arm64", "hwb-sdist", "hwb-gather"):
        before = doc[name].get("before_script", doc[".hwb-wheels"]["before_script"])
        assert before[-2:] == [planning.bootstrap_script(), planning.INSTALL], name
    assert doc["hwb-wheels-windows-amd64"]["before_script"] == [planning.WINDOWS_INSTALL]


@contextmanager
def fake_index(filename: str, content: bytes) -> Iterator[str]:
    """A PEP 691 index on loopback serving one file under uv's pinned name."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/simple/uv/":
                body = json.dumps({"files": [{"filename": filename, "url": "/f/uv.whl"}]})
                data = body.encode()
            else:
                data = content
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_wheel_that_does_not_match_the_pinned_sha256_is_refused(tmp_path: Path) -> None:
    import platform

    namespace: dict[str, object] = {}
    # its WHEELS table: the script is not importable (a file name with a dash, outside hwb)
    exec(compile(SCRIPT.read_text(), str(SCRIPT), "exec"), namespace)  # noqa: S102
    wheels = namespace["WHEELS"]
    assert isinstance(wheels, dict)
    filename, _ = wheels[(sys.platform, platform.machine())]
    with fake_index(filename, b"PK\x05\x06" + b"\0" * 18) as index:
        done = subprocess.run(
            [sys.executable, str(SCRIPT), str(tmp_path / "uv")],
            env={"HWB_UV_INDEX_URL": index, "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip() == f"uv-bootstrap: {filename} does not match its pinned sha256"
    assert list((tmp_path / "uv").iterdir()) == []
