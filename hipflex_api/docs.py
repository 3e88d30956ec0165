"""The API's docs pages load nothing from anywhere but this server: no fonts, logos or scripts
from elsewhere, so they work offline and tell nobody who reads them.

drf-spectacular's ReDoc page asks Google for its fonts (templates/hipflex_api/redoc.html is the
page without them), and ReDoc's script shows its maker's logo from a CDN in the side menu: the
script is served from here with that picture replaced by an empty one."""

import functools
import hashlib
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

from hipflex_api.conditional import none_match

REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
_NO_PICTURE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


@functools.cache
def _redoc_script() -> tuple[bytes, str]:
    found = finders.find(REDOC_BUNDLE)
    if not isinstance(found, str):
        raise ImproperlyConfigured(f"{REDOC_BUNDLE} is missing: install drf-spectacular-sidecar.")
    script = Path(found).read_text(encoding="utf-8").replace(_CDN_LOGO, _NO_PICTURE).encode()
    return script, f'"{hashlib.sha256(script).hexdigest()[:32]}"'


def redoc_script(request: HttpRequest) -> HttpResponse:
    script, etag = _redoc_script()
    if none_match(request, etag):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=86400"
    return response
