# Clipper, CPU-only. Build: docker build -t clipper .
# Run:   docker run -v $PWD/config:/app/config -v $PWD/feeds:/app/feeds -v clipper-var:/app/var clipper
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY clipper ./clipper
# torch comes from PyTorch's CPU index first (PyPI's Linux wheel pulls CUDA libraries);
# constraints.txt then keeps every other install from moving it
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0" \
 && /opt/venv/bin/pip install -c constraints.txt .

FROM python:3.11-slim-bookworm
RUN useradd --create-home --uid 10001 clipper
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=clipper:clipper config ./config
COPY --chown=clipper:clipper feeds ./feeds
RUN mkdir -p var && chown clipper:clipper var
USER clipper
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 CLIPPER_CONFIG=/app/config/clipper.yaml
# the embedding model's ONNX copy, exported once here (offline) into ~/.cache/clipper/models:
# containers start without importing torch (docs/cli.md, clipper model prepare)
RUN HF_HUB_OFFLINE=1 clipper model prepare
VOLUME ["/app/var"]
# the Slack app (/slack/events), /healthz and /metrics when SLACK_* variables are set
EXPOSE 3000
# the database must open and the configuration validate
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s \
  CMD clipper check >/dev/null || exit 1
CMD ["clipper", "run"]
