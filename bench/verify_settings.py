"""The portal's settings with bench/verify's URLs (`DJANGO_SETTINGS_MODULE=bench.verify_settings`, the bench's
gunicorn only): every URL of the portal plus the baseline view of bench/verify_urls."""

from portal.settings import *  # noqa: F403 — the portal's settings, with only the URLs changed

ROOT_URLCONF = "bench.verify_urls"
