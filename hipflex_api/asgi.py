import os

from django.core.asgi import get_asgi_application

# A server started without DJANGO_ENV runs the strict profile, never the development one.
os.environ.setdefault("DJANGO_ENV", "production")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hipflex_api.settings")

application = get_asgi_application()
