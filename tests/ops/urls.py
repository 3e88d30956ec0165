"""The project's URLs behind two views that fail, one of DRF and one of plain Django, to see
what a 500 carries."""

from django.urls import path

from hipflex_api.urls import handler404, handler500
from hipflex_api.urls import urlpatterns as project_urlpatterns
from tests.error_urls import FailingView


def failing_django_view(request):
    raise RuntimeError("Boom: a bug in a plain view.")


urlpatterns = [
    path("api/v1/boom/", FailingView.as_view()),
    path("api/v1/plain-boom/", failing_django_view),
    *project_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
