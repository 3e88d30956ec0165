"""Schemathesis hooks for fuzz/run (SCHEMATHESIS_HOOKS).

gunicorn reads a request line (method, path and query) of up to 4,094 bytes and answers a
longer one 414 itself, as a page of HTML, before the API sees it; a deployment's proxy does
the same at its own limit. Such a case tests the HTTP server, not the API, so the fuzzer's
request lines stay under that limit.
"""

from typing import Any
from urllib.parse import quote, urlencode

import schemathesis

# gunicorn's limit_request_line, less room for the method, the protocol and percent-encoding
# this count leaves out.
_MAX_TARGET_BYTES = 3500


@schemathesis.hook
def filter_case(ctx: Any, case: Any) -> bool:
    path = quote(case.formatted_path, safe="/")
    query = urlencode(case.query or {}, doseq=True)
    return len(path) + len(query) <= _MAX_TARGET_BYTES
