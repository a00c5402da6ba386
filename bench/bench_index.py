"""Benchmark: static indexes (issue #6), against moto's S3 server on loopback.

1. Incremental cost. A synthetic index of 1,000 and of 100,000 files (100 files per project, so
   10 and 1,000 projects; the pages are real, written by hwb's page generator; the 100,000
   package objects themselves are not uploaded, because no publish ever lists or reads them).
   Then: the time and the number of S3 requests to add one file to an existing project, and one
   file of a new project (which also updates the root page), through ``hwb.index.StaticIndex``
   (hwb's own code path, without process start-up). The same for a folder index. Goal: time at
   100k <= 2x time at 1k.
2. Publishing 200 wheels (10 projects x 20 versions) into an empty prefix of the same moto
   server: ``hwb publish -r bucket`` against ``s3pypi upload --put-root-index`` (the tool users
   pick today; installed into its own virtualenv by this script). S3 requests are counted from
   moto's request log. Medians of ROUNDS. Once on bare loopback, once with 30 ms added to
   every request by the tests' delay proxy (what a real bucket costs per request).

Usage: python bench/bench_index.py [--rounds N] [--sizes 1000,100000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hwb.static_index import pages  # noqa: E402 - after the path setup
from hwb.static_index.index import StaticIndex  # noqa: E402 - after the path setup
from hwb.static_index.store import DirStore, S3Store  # noqa: E402
from tests import distfactory as df  # noqa: E402
from tests.faultproxy import FaultProxy, Faults  # noqa: E402
from tests.servers import AWS_TEST_ENV, moto_s3, s3_client  # noqa: E402

PER_PROJECT = 100
DELAY = 0.03
BUCKET = "bench-index"


def synthetic_page(name: str, count: int) -> dict[str, Any]:
    page = pages.new_project(name)
    for i in range(count):
        filename = f"{name}-0.{i}-py3-none-any.whl"
        page["files"].append(
            {
                "filename": filename,
                "url": pages.file_url(name, filename),
                "hashes": {"sha256": f"{i:064x}"},
                "requires-python": ">=3.9",
                "size": 1234,
                "upload-time": "2026-01-01T00:00:00Z",
                "yanked": False,
                "core-metadata": {"sha256": f"{i:064x}"},
                "dist-info-metadata": {"sha256": f"{i:064x}"},
            }
        )
    return pages.normalize(page)


def populate(write: Any, files: int) -> list[str]:
    """Write the pages of a synthetic index of ``files`` files; returns the project names."""
    names = [f"p{i:05d}" for i in range(files // PER_PROJECT)]

    def one(name: str) -> None:
        page = synthetic_page(name, PER_PROJECT)
        write(f"simple/{name}/index.json", pages.dump(page), pages.JSON_TYPE)
        body = pages.project_html(page)
        write(f"simple/{name}/index.html", body, pages.HTML_TYPE)
        write(f"simple/{name}/", body, pages.HTML_TYPE)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, names))
    root = {
        "meta": {"api-version": pages.API_VERSION},
        "projects": [{"name": n} for n in names],
    }
    write("simple/index.json", pages.dump(root), pages.JSON_TYPE)
    write("simple/index.html", pages.root_html(root), pages.HTML_TYPE)
    write("simple/", pages.root_html(root), pages.HTML_TYPE)
    return names


def measure_adds(index: StaticIndex, names: list[str], work: Path, rounds: int) -> dict[str, Any]:
    """Median seconds and requests to add one file to an existing project / a new project."""
    counter = {"n": 0}
    client = getattr(index.store, "client", None)
    if client is not None:
        client.meta.events.register(
            "before-send.s3", lambda **_: counter.__setitem__("n", counter["n"] + 1)
        )
    results: dict[str, Any] = {}
    for label, project in (("existing project", names[len(names) // 2]), ("new project", None)):
        times, requests = [], []
        for r in range(rounds):
            name = project or f"new{r:03d}{len(names)}"
            wheel = df.project_wheel(work, name, f"9.{r}")
            sha = __import__("hashlib").sha256(wheel.read_bytes()).hexdigest()
            counter["n"] = 0
            started = time.perf_counter()
            index.add(wheel, name, sha, ">=3.9")
            times.append(time.perf_counter() - started)
            requests.append(counter["n"])
            wheel.unlink()
        results[label] = {
            "seconds": statistics.median(times),
            "requests": statistics.median(requests) if client is not None else None,
        }
    return results


def incremental(endpoint: str, sizes: list[int], rounds: int, work: Path) -> dict[str, Any]:
    client = s3_client(endpoint)
    out: dict[str, Any] = {}
    for size in sizes:
        prefix = f"inc{size}"
        store = S3Store(BUCKET, prefix, endpoint_url=endpoint)

        def write_s3(key: str, data: bytes, ctype: str, store: S3Store = store) -> None:
            client.put_object(  # type: ignore[attr-defined]
                Bucket=BUCKET, Key=store._key(key), Body=data, ContentType=ctype
            )

        t0 = time.perf_counter()
        names = populate(write_s3, size)
        print(f"  s3 index of {size:,} files synthesized in {time.perf_counter() - t0:.1f} s")
        out[f"s3 {size}"] = measure_adds(
            StaticIndex(store, pages_at_slash=True), names, work, rounds
        )

        folder = work / f"dir{size}"
        dstore = DirStore(folder)
        dstore.check()

        def write_dir(key: str, data: bytes, ctype: str, folder: Path = folder) -> None:
            if key.endswith("/"):
                return  # the folder layout has no slash keys
            path = folder / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

        names = populate(write_dir, size)
        out[f"dir {size}"] = measure_adds(StaticIndex(dstore), names, work, rounds)
    return out


def publish_200(
    endpoint: str, log: Path, rounds: int, work: Path, s3pypi: Path, tag: str
) -> dict[str, Any]:
    dist = work / "dist200"
    if not dist.exists():
        dist.mkdir()
        for i in range(200):
            df.project_wheel(dist, f"bench{i % 10}", f"1.{i}")
    files = sorted(str(p) for p in dist.iterdir())
    # s3pypi takes a DynamoDB lock per project when the table exists (its safe setup; without
    # the table it silently runs unlocked): moto serves DynamoDB on the same endpoint.
    env = {**os.environ, **AWS_TEST_ENV, "AWS_ENDPOINT_URL_DYNAMODB": endpoint}
    proj = work / "cfg"
    proj.mkdir(exist_ok=True)
    results: dict[str, list[tuple[float, int]]] = {"hwb": [], "s3pypi": []}
    for r in range(rounds):
        for tool in ("hwb", "s3pypi"):
            prefix = f"p200-{tag}-{tool}-{r}"
            if tool == "hwb":
                (proj / "pyproject.toml").write_text(
                    f'[tool.hwb.registries.bucket]\ntype = "s3"\nbucket = "{BUCKET}"\n'
                    f'prefix = "{prefix}"\nendpoint-url = "{endpoint}"\n'
                )
                cmd = [sys.executable, "-m", "hwb", "-q", "publish", "-r", "bucket",
                       "--project", str(proj), *files]  # fmt: skip
            else:
                cmd = [str(s3pypi), "upload", "-b", BUCKET, "--prefix", prefix,
                       "--s3-endpoint-url", endpoint, "--put-root-index", *files]  # fmt: skip
            before = len(log.read_text().splitlines())
            started = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            seconds = time.perf_counter() - started
            requests = len(log.read_text().splitlines()) - before
            results[tool].append((seconds, requests))
            print(f"  round {r + 1} {tool}: {seconds:.2f} s, {requests} S3 requests")
    return {
        tool: {
            "seconds": statistics.median(s for s, _ in runs),
            "requests": statistics.median(n for _, n in runs),
        }
        for tool, runs in results.items()
    }


def s3pypi_bin(work: Path) -> Path:
    venv = ROOT / ".venv-s3pypi"  # its own pins, away from hwb's
    exe = venv / "bin" / "s3pypi"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "s3pypi==2.0.1"], check=True)
    return exe


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="1000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    os.environ.update(AWS_TEST_ENV)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        s3pypi = s3pypi_bin(work)
        with moto_s3(work) as server:
            s3_client(server.endpoint).create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
            print("== incremental cost of adding one file")
            inc = incremental(server.endpoint, sizes, max(args.rounds, 9), work)
            import boto3

            boto3.client("dynamodb", endpoint_url=server.endpoint).create_table(
                TableName=f"{BUCKET}-locks",
                KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            bulk = {}
            print("== 200 wheels into an empty prefix: hwb publish vs s3pypi upload (loopback)")
            bulk["loopback"] = publish_200(
                server.endpoint, server.log, args.rounds, work, s3pypi, "lo"
            )
            # Real S3 answers a small PUT/GET in tens of milliseconds, not microseconds: the
            # tests' delay proxy adds DELAY to every request (S3 and DynamoDB alike).
            print(f"== the same with {DELAY * 1000:.0f} ms per request (latency of real S3)")
            with FaultProxy(server.endpoint, Faults(delay=DELAY)) as proxy:
                bulk[f"{DELAY * 1000:.0f} ms"] = publish_200(
                    proxy.url.rstrip("/"), server.log, args.rounds, work, s3pypi, "lat"
                )
    print("\n| index | add to existing project | add a new project |")
    print("|---|---|---|")
    for key, value in inc.items():
        cells = []
        for label in ("existing project", "new project"):
            v = value[label]
            req = f", {v['requests']:g} requests" if v["requests"] is not None else ""
            cells.append(f"{v['seconds'] * 1000:.1f} ms{req}")
        print(f"| {key.split()[0]} {int(key.split()[1]):,} files | {cells[0]} | {cells[1]} |")
    for kind in ("s3", "dir"):
        small, big = inc.get(f"{kind} {sizes[0]}"), inc.get(f"{kind} {sizes[-1]}")
        if small and big:
            for label in ("existing project", "new project"):
                ratio = big[label]["seconds"] / small[label]["seconds"]
                big_n, small_n = f"{sizes[-1]:,}", f"{sizes[0]:,}"
                print(f"{kind} {label}: {big_n} vs {small_n} files = {ratio:.2f}x (goal <= 2x)")
    for label, figures in bulk.items():
        h, s = figures["hwb"], figures["s3pypi"]
        print(
            f"200 wheels ({label}): hwb {h['seconds']:.2f} s ({h['requests']:g} requests), "
            f"s3pypi {s['seconds']:.2f} s ({s['requests']:g} requests) -> hwb "
            f"{h['seconds'] / s['seconds']:.2f}x"
        )
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "index.json").write_text(
        json.dumps({"incremental": inc, "publish200": bulk}, indent=1)
    )


if __name__ == "__main__":
    main()
