import os

from django.core.asgi import get_asgi_application

# A server started without DJANGO_ENV runs the strict profile, never the development one.
os.environ.setdefault("DJANGO_ENV", "production")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hipflex_api.settings")
# This process answers requests: its statements get DATABASE_STATEMENT_TIMEOUT_SECONDS.
os.environ.setdefault("HIPFLEX_SERVES_REQUESTS", "true")

application = get_asgi_application()
