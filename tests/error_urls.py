"""The project's URLs behind views that fail, to see what an unhandled exception returns."""

import psycopg
from django.db import OperationalError
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from hipflex_api.urls import handler404, handler500
from hipflex_api.urls import urlpatterns as project_urlpatterns


class FailingView(APIView):
    permission_classes = (AllowAny,)

    def get(self, request):
        raise RuntimeError("Boom: a bug in a view.")


def locked_view(request):
    """A plain Django view, outside DRF's exception handler, that meets a held write lock."""
    raise OperationalError("database table is locked")


def unreachable_view(request):
    """The same, meeting a PostgreSQL that shut down (psycopg's error, as Django wraps it)."""
    raise OperationalError("terminating connection") from psycopg.errors.AdminShutdown()


urlpatterns = [
    path("api/v1/boom/", FailingView.as_view()),
    path("api/v1/locked/", locked_view),
    path("api/v1/unreachable/", unreachable_view),
    *project_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
