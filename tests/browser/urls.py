"""The project's URLs with uploaded images served, as `make run` serves them (the suite runs
with DEBUG off, which leaves them out of hipflex_api.urls)."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from hipflex_api.urls import urlpatterns as project

media = re_path(
    rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
    serve,
    {"document_root": settings.MEDIA_ROOT},
)
# Before the last pattern, which answers the rest of /api/ with a JSON 404.
urlpatterns = [*project[:-1], media, project[-1]]
