# One image for the three production processes: web (gunicorn), worker and beat (Celery).
# docker-compose.yml picks the process with `command`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORTAL_VAR_DIR=/data \
    MEDIA_ROOT=/data/media \
    DEBUG=0

# Runtime libraries: Pango for WeasyPrint (HarfBuzz subsetting keeps CJK fonts small in PDFs),
# Noto CJK so Chinese text renders, libpq for psycopg2, gettext for compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
        libpq5 gettext \
    && rm -rf /var/lib/apt/lists/*

# The processes run unprivileged and cannot write to the code; its home holds fontconfig's cache.
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --create-home --home-dir /home/portal \
        --shell /usr/sbin/nologin portal

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so that a code change does not reinstall them.
# psycopg2 is built from source against libpq: the compiler is removed in the same layer.
COPY pyproject.toml README.md ./
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libpq-dev \
    && pip install . \
    && apt-get purge -y --auto-remove gcc libpq-dev \
    && rm -rf /var/lib/apt/lists/*

COPY . .
# Editable, because settings find templates/, static/ and locale/ beside the packages in /app.
RUN pip install --no-deps --editable . \
    && SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput -v0 \
    && SECRET_KEY=build-only-not-secret python manage.py compilemessages -v0 \
    && mkdir -p /data/media \
    && chown -R portal:portal /data

USER portal
EXPOSE 8000
CMD ["sh", "/app/docker/web.sh"]
