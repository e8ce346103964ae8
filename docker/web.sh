#!/bin/sh
# Web process: bring the schema and the reference data (regions, holiday calendar, catalogues) up to
# date, then serve. Both management commands are idempotent, so a restart repeats them harmlessly.
# Run one web container while migrating; scale out after it reports healthy.
set -eu
cd /app
python manage.py migrate --noinput
python manage.py load_reference_data
# Threads (gthread): most requests are short and wait on Redis or PostgreSQL, and a slow one (an
# export, a page computed afresh) no longer holds up the quick ones queued behind it in its
# process. On 2 CPUs, 3 x 4 more than halved the public directory's median latency against
# 3 sync workers (benchmarks/README.md). Each thread keeps its own database connection.
exec gunicorn portal.wsgi:application \
    --bind "0.0.0.0:${PORT:-8000}" \
    --workers "${WEB_CONCURRENCY:-3}" \
    --worker-class gthread --threads "${WEB_THREADS:-4}" \
    --timeout "${GUNICORN_TIMEOUT:-60}" \
    --max-requests 1000 --max-requests-jitter 100 \
    --access-logfile -
