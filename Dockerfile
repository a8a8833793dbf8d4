# Metronome against an external PostgreSQL: docker run -e DATABASE_URL=postgresql+asyncpg://… -p 8000:8000
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 METRONOME_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY board board
COPY platforms platforms
COPY poster poster
COPY ws ws
COPY web web
COPY migrations migrations
# The guides the board links to (/docs/…, web/docs.py): how to set up each network.
COPY docs docs
RUN pip install --no-cache-dir . && useradd --system --home /data metronome && mkdir -p /data \
    && chown metronome /data
USER metronome
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/health').status != 200)"
# Migrations run at start; DATABASE_URL and METRONOME_SECRET_KEY come from the environment.
CMD ["metronome", "serve", "--host", "0.0.0.0", "--port", "8000"]
