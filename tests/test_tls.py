"""Publishing over HTTPS to a registry whose certificate comes from a private CA: a real
pypiserver behind a TLS front signed by a throwaway CA. The index lookups (urllib) and the
uploads (requests) must trust the same CAs, named the ways users name them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hwb.tls import CA_VARIABLES
from tests import distfactory as df
from tests.certs import Authority, authority
from tests.conftest import Run
from tests.faultproxy import FaultProxy, Faults
from tests.helpers import publish
from tests.servers import Server

pytestmark = pytest.mark.integration


@pytest.fixture
def https(open_server: Server, ca: Authority) -> Iterator[FaultProxy]:
    """pypiserver behind HTTPS, with a certificate only the test CA vouches for."""
    with FaultProxy(open_server.url, Faults(), tls=ca.server_context()) as proxy:
        yield proxy


def _trust(monkeypatch: pytest.MonkeyPatch, variable: str, ca: Authority, tmp_path: Path) -> None:
    for name in CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if variable != "SSL_CERT_DIR":
        monkeypatch.setenv(variable, str(ca.ca))
        return
    # A folder in OpenSSL's layout: each CA under its subject hash (what `openssl rehash` does).
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("SSL_CERT_DIR needs the openssl command to name the hashed file")
    digest = subprocess.run(
        [openssl, "x509", "-hash", "-noout", "-in", str(ca.ca)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    folder = tmp_path / "certs"
    folder.mkdir()
    shutil.copy(ca.ca, folder / f"{digest}.0")
    # OpenSSL reads a list of folders; the first one here does not exist.
    monkeypatch.setenv(variable, f"{tmp_path / 'no-such-folder'}{os.pathsep}{folder}")


@pytest.mark.parametrize("variable", CA_VARIABLES)
def test_publish_trusts_the_ca_each_variable_names(
    hwb: Callable[..., Run],
    https: FaultProxy,
    open_server: Server,
    wheel: Path,
    ca: Authority,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    """Each variable a user may have set for a private CA works for the lookups and the
    uploads alike (before, REQUESTS_CA_BUNDLE failed the lookup and SSL_CERT_FILE the
    upload, so no publish could succeed)."""
    _trust(monkeypatch, variable, ca, tmp_path)
    first = publish(hwb, "--url", https.url, wheel)
    assert first.code == 0, first.err
    assert (open_server.packages / wheel.name).read_bytes() == wheel.read_bytes()
    # The second run's lookup read the listing over HTTPS and found the same file.
    again = publish(hwb, "--url", https.url, wheel)
    assert again.code == 0, again.err
    assert [e["status"] for e in json.loads(again.out)["entries"]] == ["skipped-identical"]
    assert https.stats.posts == [wheel.name]


def test_untrusted_certificate_is_one_clear_failure_and_nothing_sent(
    hwb: Callable[..., Run],
    https: FaultProxy,
    wheel: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No CA variable: certifi's roots do not include the test CA. The lookup says why in
    OpenSSL's words, is not retried (asking again cannot help), and nothing is sent."""
    for name in CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    result = publish(hwb, "--url", https.url, wheel, json=False)
    assert result.code == 14
    assert "certificate verify failed: unable to get local issuer certificate" in result.err
    assert "point SSL_CERT_FILE (or REQUESTS_CA_BUNDLE) at a PEM file" in result.out  # its hint
    assert "Traceback" not in result.err + result.out
    assert https.stats.posts == []
    assert https.stats.gets == 0  # refused in the handshake: no request ever got through


def test_upload_to_an_untrusted_origin_says_why(
    hwb: Callable[..., Run],
    open_server: Server,
    wheel: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The index is trusted (plain HTTP here), the upload URL's certificate is not: the upload
    fails on its own TLS error, with the reason and the hint, and is not retried."""
    other = authority(tmp_path / "other", name="some other CA")
    trusted = authority(tmp_path / "trusted")
    for name in CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(trusted.ca))
    with FaultProxy(open_server.url, Faults(), tls=other.server_context()) as upload:
        result = _publish_to(hwb, wheel, tmp_path, upload.url, open_server.simple)
    assert result.code == 14
    assert f"TLS failure talking to {upload.url}: certificate verify failed" in result.err
    assert f"hwb trusts the CAs in SSL_CERT_FILE ({trusted.ca})" in result.out  # the hint
    assert "attempt" not in result.err.split("TLS failure")[0]  # no retry announced
    assert not (open_server.packages / wheel.name).exists()


@pytest.mark.parametrize("content", [None, b"", b"not a certificate\n"])
def test_ca_variable_naming_a_missing_or_empty_file_stops_before_any_request(
    hwb: Callable[..., Run],
    https: FaultProxy,
    wheel: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: bytes | None,
) -> None:
    bundle = tmp_path / "corp-ca.pem"
    if content is not None:
        bundle.write_bytes(content)
    for name in CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    result = publish(hwb, "--url", https.url, wheel, json=False)
    assert result.code == 3, result.err
    first = result.err.strip().splitlines()[0]
    assert str(bundle) in first and "Traceback" not in result.err
    assert (https.stats.gets, https.stats.posts) == (0, [])


def test_trusted_publishing_over_https_trusts_the_same_ca(
    hwb: Callable[..., Run],
    open_server: Server,
    ca: Authority,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    github_env: dict[str, Path],
) -> None:
    """The OIDC audience request, the token exchange and the upload all go over HTTPS to a
    registry whose CA comes from SSL_CERT_FILE (requests alone would ignore that variable).
    The warehouse is tests/oidcfakes' double of PyPI's documented mint endpoint; the
    GitHub token issuer is its double too: neither can run here for real."""
    from tests.oidcfakes import FakeIssuer, FakeWarehouse, Publisher

    publisher = Publisher("github", "demo-pkg", repository="octo/greet", workflow="release.yml")
    with (
        FakeIssuer() as issuer,
        FakeWarehouse(open_server.url, issuer, [publisher]) as warehouse,
        FaultProxy(warehouse.url, Faults(), tls=ca.server_context()) as front,
    ):
        for name in ("GITLAB_CI", "GCE_METADATA_HOST", "PYPI_TOKEN", *CA_VARIABLES):
            monkeypatch.delenv(name, raising=False)
        for name, value in issuer.github_env().items():
            monkeypatch.setenv(name, value)
        project = tmp_path / "proj"
        project.mkdir()
        (project / "pyproject.toml").write_text(
            '[project]\nname = "demo-pkg"\nversion = "1.0"\n'
            f'[tool.hwb.registries.corp]\nurl = "{front.url}legacy/"\n'
            f'index-url = "{open_server.simple}"\n'
        )
        (tmp_path / "dist").mkdir()
        wheel = df.wheel(tmp_path / "dist", metadata=df.GOOD_METADATA.format(version="1.0"))
        # Not trusted yet: exit 16 with OpenSSL's reason and the CA hint, nothing minted.
        refused = publish(hwb, wheel, project=project, registry="corp", trusted=True)
        assert refused.code == 16
        assert "audience request: certificate verify failed" in refused.err
        assert "point SSL_CERT_FILE (or REQUESTS_CA_BUNDLE)" in refused.err
        assert warehouse.stats.mints == 0
        monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca))
        result = publish(hwb, wheel, project=project, registry="corp", trusted=True)
        assert result.code == 0, result.err
        assert warehouse.stats.mints == 1
        assert (open_server.packages / wheel.name).exists()
        assert wheel.name in front.stats.posts  # the upload went through the HTTPS front


def test_the_hint_names_the_variable_in_effect(
    hwb: Callable[..., Run],
    https: FaultProxy,
    wheel: Path,
    ca: Authority,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CA is in SSL_CERT_FILE, but REQUESTS_CA_BUNDLE (set machine-wide on many images)
    comes first: the hint says which variable hwb read, instead of suggesting the one the user
    already set."""
    import certifi

    for name in CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    result = publish(hwb, "--url", https.url, wheel, json=False)
    assert result.code == 14
    assert f"hwb trusts the CAs in REQUESTS_CA_BUNDLE ({certifi.where()})" in result.out


def test_https_to_a_plain_http_port_says_so(
    hwb: Callable[..., Run], open_server: Server, wheel: Path, tmp_path: Path
) -> None:
    """An https:// upload URL on a plain-HTTP port (the proxy, without TLS, in front of
    pypiserver): OpenSSL's reason and a hint about the scheme, not one about CAs."""
    with FaultProxy(open_server.url, Faults()) as plain:
        upload = plain.url.replace("http://", "https://")
        result = _publish_to(hwb, wheel, tmp_path, upload, open_server.simple)
        assert plain.stats.posts == []
    assert result.code == 14
    assert f"TLS failure talking to {upload}: [SSL: WRONG_VERSION_NUMBER]" in result.out
    assert "Check the URL's scheme and port" in result.out
    assert "retrying" not in result.out + result.err


def test_https_index_on_a_plain_http_port_fails_at_once(
    hwb: Callable[..., Run], open_server: Server, wheel: Path
) -> None:
    """The same mistake on the lookup: not retried (it took 22 s of backoff before), nothing
    sent, and the scheme hint."""
    import time

    with FaultProxy(open_server.url, Faults()) as plain:
        url = plain.url.replace("http://", "https://")
        started = time.monotonic()
        result = publish(hwb, "--url", url, wheel, json=False)
        took = time.monotonic() - started
        assert plain.stats.posts == []
    assert result.code == 14
    assert (
        f"TLS failure talking to {url}simple/tls-demo/: [SSL: WRONG_VERSION_NUMBER]" in result.out
    )
    assert "Check the URL's scheme and port" in result.out
    assert took < 5


def _publish_to(hwb: Callable[..., Run], wheel: Path, tmp_path: Path, url: str, index: str) -> Run:
    config = tmp_path / "project"
    config.mkdir()
    (config / "pyproject.toml").write_text(
        f'[tool.hwb.registries.corp]\nurl = "{url}"\nindex-url = "{index}"\n'
    )
    return publish(hwb, wheel, project=config, registry="corp", json=False)
