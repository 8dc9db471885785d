"""Settings of the benchmarks: the app's own, with the plain views (plainviews.py) routed
under /__plain__/ in front of the app's URLs. Used in-process by bench_web.py and by the
gunicorn that bench_load.py starts (DJANGO_SETTINGS_MODULE=tests.bench.bench_settings)."""

from tracker.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.plainviews"
