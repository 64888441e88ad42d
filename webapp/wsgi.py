"""WSGI entry point for running under any server: ``gunicorn webapp.wsgi:app``.

Configure with NEWSFINDER_INDEX (and NEWSFINDER_QUALITY_WEIGHT, NEWSFINDER_QUALITY_CAP,
NEWSFINDER_LOG_QUERIES, NEWSFINDER_SHOW_IMAGES).
"""

from webapp import create_app
from webapp.server import configure_logging

configure_logging()
app = create_app()
