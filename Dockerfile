# hwb in a container: `docker run --rm -v "$PWD:/src" IMAGE build`, or `image:` of a GitLab job.
# Small: a slim Python base, hwb in a virtualenv, no compilers (pure-Python builds need none;
# compiled wheels are built by `hwb matrix build` in cibuildwheel's manylinux images instead).
# git is in: `hwb version` reads the history, and builds date their archives from the last
# commit (SOURCE_DATE_EPOCH), so a wheel built here is byte-identical to one built on the host.
# Offline builds from a local base: podman build --pull=never --build-arg BASE_IMAGE=localhost/...
ARG BASE_IMAGE=docker.io/library/python:3.12-slim
FROM ${BASE_IMAGE}

# Where pip finds hwb's dependencies while building the image (a mirror, or a loopback index).
ARG PIP_INDEX_URL=https://pypi.org/simple/

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/hwb/bin:$PATH

# git without its recommends (no ssh client, no less); apt's lists and caches removed (a base
# without the slim images' apt clean-up would keep ~90 MB of them). /src is mounted from the
# host, owned by another uid, which git refuses as "dubious ownership" unless declared safe.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /usr/share/doc/* /usr/share/man/* \
    && git config --system --add safe.directory '*'

COPY pyproject.toml README.md /tmp/hwb-src/
COPY hwb /tmp/hwb-src/hwb
COPY workflows-templates /tmp/hwb-src/workflows-templates
RUN python3 -m venv /opt/hwb \
    && /opt/hwb/bin/python -m pip install --quiet --index-url "$PIP_INDEX_URL" /tmp/hwb-src \
    && rm -rf /tmp/hwb-src \
    && useradd --create-home --uid 1000 --shell /usr/sbin/nologin hwb \
    && mkdir -p /src && chown hwb:hwb /src

USER hwb
WORKDIR /src
ENTRYPOINT ["hwb"]
CMD ["--help"]
