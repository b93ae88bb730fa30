# doran: one image, one process per container; the stage is chosen by the command:
#   docker run doran:0.1.0 stage ingest|normalize|decide|execute
#   docker run doran:0.1.0 schemas publish --registry http://redpanda:8081
# The base is pinned to an exact Python patch release and Debian suite (no floating tags).
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY runtime ./runtime
COPY generated ./generated
RUN pip wheel --no-deps --wheel-dir /dist .

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# A fixed uid/gid so Kubernetes (runAsUser 10001) and Compose (user 10001:10001) agree. The state
# directories exist in the image so a fresh named volume inherits their ownership.
RUN groupadd --system --gid 10001 doran \
 && useradd --system --uid 10001 --gid doran --home-dir /var/lib/doran --shell /usr/sbin/nologin doran \
 && mkdir -p /var/lib/doran /var/lib/unrip/executor-state /var/lib/unrip/simulated-venue \
 && chown -R doran:doran /var/lib/doran /var/lib/unrip
COPY --from=build /dist/ /tmp/dist/
# The runtime distribution alone: the contract toolchain (codegen/) and the development kit (devkit/)
# are distributions of their own, left out. `make image-check` installs exactly this and imports it all.
RUN pip install /tmp/dist/doran-*.whl \
 && rm -rf /tmp/dist
USER 10001:10001
WORKDIR /var/lib/doran
ENTRYPOINT ["doran"]
CMD ["--help"]
