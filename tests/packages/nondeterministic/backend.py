"""A minimal in-tree PEP 517 backend whose wheels embed random bytes (never reproducible),
unless config setting ``deterministic`` is given. It also echoes SOURCE_DATE_EPOCH and the
config settings it received into the wheel, so tests can see what the frontend passed."""
import base64
import hashlib
import json
import os
import zipfile

NAME, VERSION = "hwbt_nondet", "0.0.1"


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}\n"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    config_settings = config_settings or {}
    filename = f"{NAME}-{VERSION}-py3-none-any.whl"
    info = f"{NAME}-{VERSION}.dist-info"
    payload = {
        "sde": os.environ.get("SOURCE_DATE_EPOCH"),
        "config_settings": config_settings,
        "noise": None if "deterministic" in config_settings else os.urandom(8).hex(),
    }
    files = {
        f"{NAME}.py": json.dumps(payload, sort_keys=True).encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: hwbt-nondet\nVersion: {VERSION}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(_record_line(p, d) for p, d in files.items()) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as zf:
        for path, data in files.items():
            zf.writestr(zipfile.ZipInfo(path, (1980, 1, 1, 0, 0, 0)), data)
        zf.writestr(zipfile.ZipInfo(f"{info}/RECORD", (1980, 1, 1, 0, 0, 0)), record)
    return filename
