"""Settings for benchmark runs only: the production settings plus the baseline endpoint.

Never used in production: importing it without PORTAL_BENCHMARK_BASELINE=1 fails.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from portal.settings import *  # noqa: F403

if os.environ.get("PORTAL_BENCHMARK_BASELINE") != "1":
    raise ImproperlyConfigured("benchmarks.settings is for benchmark runs: set PORTAL_BENCHMARK_BASELINE=1")

ROOT_URLCONF = "benchmarks.urls"
