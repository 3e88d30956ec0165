"""/o/: the authorization server third-party apps talk to (django-oauth-toolkit's views),
with the server's own sign-in and consent pages. Authorization code with PKCE, refresh,
revocation (RFC 7009) and introspection (RFC 7662) for resource servers; nothing else."""

from django.urls import path
from oauth2_provider import views

from .oauth import ConsentView, SignInView

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", ConsentView.as_view(), name="authorize"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("revoke_token/", views.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", views.IntrospectTokenView.as_view(), name="introspect"),
    path("sign-in/", SignInView.as_view(), name="sign-in"),
]
