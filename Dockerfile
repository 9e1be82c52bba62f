# Production image of the 一网通 portal: one image for web (gunicorn), Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORTAL_VAR_DIR=/app/var
# Pango and CJK fonts for WeasyPrint (else Chinese prints as boxes): Noto CJK, then HanaMin and BabelStone Han for
# the rare ideographs of CJK Ext A-F that Noto lacks (names may hold them); gettext to compile messages.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk fonts-hanazono \
    fonts-babelstone-han gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY portal portal
COPY registration registration
COPY departments departments
COPY forms_engine forms_engine
RUN pip install --no-cache-dir .
COPY . .
# collectstatic needs settings; these build-time values are never used at run time.
RUN DJANGO_ENV=production SECRET_KEY=build-only-not-a-secret-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ALLOWED_HOSTS=build \
    python manage.py collectstatic --no-input \
 && python manage.py compilemessages --ignore=.venv -v0 \
 && useradd --system --home /app portal && mkdir -p /app/var && chown -R portal /app/var
USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
