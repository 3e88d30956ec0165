from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from hipflex_api import docs
from hipflex_api.api_root.views import ApiRootView
from hipflex_api.errors import api_not_found

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="swagger-ui", permanent=False)),
    path("admin/", admin.site.urls),
    # The index: a link to every collection below and to the docs (hipflex_api/api_root/).
    path("api/v1/", ApiRootView.as_view(), name="api-root"),
    # The catalog: exercises, muscles, equipment, routines (and a routine's copy).
    path("api/v1/", include("exercises.urls")),
    # Accounts: auth/ (register, token, refresh, logout, password-reset, verify-email) and
    # me/ (profile, password, email).
    path("api/v1/", include("hipflex_api.accounts.urls")),
    # What people did: sessions/, sync/, me/stats/, me/export/, and the session behaviour
    # under catalog URLs, exercises/{slug}/advice/ and routines/{id}/start/.
    path("api/v1/", include("sessions.urls")),
    # Webhooks: the caller's endpoints, their delivery logs, rotate, ping and redeliver.
    path("api/v1/", include("hipflex_api.webhooks.urls")),
    # Third-party apps: the authorization server (authorize, token, revoke_token,
    # introspect) and the pages where a person signs in and consents.
    path("o/", include("hipflex_api.accounts.oauth_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="hipflex_api/redoc.html"),
        name="redoc",
    ),
    # ReDoc's script, without the logo it would fetch from elsewhere (settings.REDOC_DIST).
    path("api/redoc/bundles/redoc.standalone.js", docs.redoc_script, name="redoc-script"),
    # Operating it: healthz and readyz (the probes) and metrics (Prometheus, METRICS_TOKEN).
    path("", include("hipflex_api.ops.urls")),
    # Last: any other URL under /api/ answers with a JSON 404, never an HTML page.
    re_path(r"^api/", api_not_found),
]

handler400 = "hipflex_api.errors.handler400"
handler403 = "hipflex_api.errors.handler403"
handler404 = "hipflex_api.errors.handler404"
handler500 = "hipflex_api.errors.handler500"

# `make run` serves uploaded images itself; a deployment's web server or CDN does (MEDIA_URL).
if settings.DEBUG and settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    urlpatterns[-1:-1] = static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# bench/ measures each endpoint against bare views of its own, routed only when
# settings.BENCHMARK is on, so that a deployment never imports bench/.
if settings.BENCHMARK:
    urlpatterns.append(path("bench/", include("bench.baseline")))
