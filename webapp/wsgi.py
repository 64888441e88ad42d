"""WSGI entry point for running under any server: ``gunicorn webapp.wsgi:app``.

Configure with NEWSFINDER_INDEX (and NEWSFINDER_QUALITY_WEIGHT, NEWSFINDER_QUALITY_CAP).
"""

from webapp import create_app

app = create_app()
