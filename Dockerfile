# Surgewatch: one image for the worker and the dashboard (see deploy/docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    SURGEWATCH_STORE__PATH=/data/surgewatch.db SURGEWATCH_STATE__PATH=/data/state.db \
    SURGEWATCH_STORE__SPOOL_DIR=/data/spool SURGEWATCH_WORKER__METRICS_HOST=0.0.0.0

RUN useradd --create-home --uid 10001 surgewatch && mkdir /data && chown surgewatch /data
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY cli.py worker.py demo.py app.py surgewatch.example.toml ./
COPY config/ config/
COPY metrics/ metrics/
COPY campaigns/ campaigns/
COPY reference/ reference/
COPY store/ store/
COPY collectors/ collectors/
COPY alerts/ alerts/
COPY capacity/ capacity/
COPY auth/ auth/
COPY pages/ pages/
COPY commands/ commands/
COPY simulate/ simulate/

USER surgewatch
VOLUME ["/data"]
EXPOSE 8501 9108
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "cli.py", "health"]
ENTRYPOINT ["python", "cli.py"]
CMD ["worker"]
