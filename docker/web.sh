#!/bin/sh
# Web process: bring the schema and the reference data (regions, holiday calendar, catalogues) up to
# date, then serve. Both management commands are idempotent, so a restart repeats them harmlessly.
# Run one web container while migrating; scale out after it reports healthy.
set -eu
cd /app
python manage.py migrate --noinput
python manage.py load_reference_data
exec gunicorn portal.wsgi:application \
    --bind "0.0.0.0:${PORT:-8000}" \
    --workers "${WEB_CONCURRENCY:-3}" \
    --timeout "${GUNICORN_TIMEOUT:-60}" \
    --max-requests 1000 --max-requests-jitter 100 \
    --access-logfile -
