from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from hipflex_api.accounts.auth import AppClientAuthentication, request_app, request_user
from hipflex_api.accounts.models import App, User
from hipflex_api.accounts.throttles import Counted
from hipflex_api.fields import UUID_PATTERN

from . import openapi, services
from .models import Delivery, Endpoint
from .serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointChangeSerializer,
    WebhookEndpointRequestSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
)


class WebhookSendThrottle(Counted, UserRateThrottle):
    """Pings and redeliveries per person or app: each sends a request to a URL of theirs."""

    scope = "webhook_send"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if (app := request_app(request)) is not None:
            return self.cache_format % {"scope": self.scope, "ident": f"app-{app.pk}"}
        return super().get_cache_key(request, view)


class PersonOrApp(permissions.BasePermission):
    """A signed-in person, for their own endpoints, or a confidential app by its client
    credentials, for its own."""

    refuses_anonymous_only = True  # As IsAuthenticated: a 401, never a 403 (the schema's).

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated) or (
            request_app(request) is not None
        )


def _owner(request: Request) -> User | App:
    return request_app(request) or request_user(request)


class _OwnedViewSet(viewsets.GenericViewSet):
    # A person's JWT, or an app's client id and secret; an app's token (which speaks for a
    # person) reaches none of these: first party only (accounts.scopes).
    authentication_classes = [
        *api_settings.DEFAULT_AUTHENTICATION_CLASSES,  # type: ignore[list-item]
        AppClientAuthentication,
    ]
    permission_classes = [PersonOrApp]
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN

    def _endpoints(self) -> QuerySet[Endpoint]:
        return Endpoint.objects.filter(**services.owned_by(_owner(self.request)))


def _valid(serializer_class: type[Serializer[Any]], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _as_now(delivery: Delivery) -> Any:
    """The delivery as it stands when the answer is made: where jobs run in the process (no
    broker), its try has been made already."""
    fresh = Delivery.objects.select_related("event").prefetch_related("tries")
    return WebhookDeliverySerializer(fresh.get(pk=delivery.pk)).data


@openapi.endpoints_schema
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    _OwnedViewSet,
):
    """/webhooks/: the URLs the caller has events sent to: a person's of their own data, an
    app's of the data of the people who connected it."""

    queryset = Endpoint.objects.all()
    serializer_class = WebhookEndpointSerializer

    def get_queryset(self) -> QuerySet[Endpoint]:
        return self._endpoints()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = _valid(WebhookEndpointRequestSerializer, request)
        endpoint = services.endpoint_create(owner=_owner(request), **body)
        created = WebhookEndpointWithSecretSerializer(endpoint).data
        return Response(created, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = _valid(WebhookEndpointChangeSerializer, request)
        endpoint = services.endpoint_update(endpoint=self.get_object(), **body)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint = services.endpoint_rotate_secret(endpoint=self.get_object())
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

    @action(detail=True, methods=["post"], throttle_classes=[WebhookSendThrottle])
    def ping(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        delivery = services.endpoint_ping(endpoint=self.get_object())
        return Response(_as_now(delivery), status=status.HTTP_202_ACCEPTED)


@openapi.deliveries_schema
class WebhookDeliveryViewSet(mixins.ListModelMixin, _OwnedViewSet):
    """/webhooks/{endpoint_id}/deliveries/: the delivery log of one of the caller's
    endpoints, newest first, and sending one again."""

    queryset = Delivery.objects.all()
    serializer_class = WebhookDeliverySerializer

    def get_queryset(self) -> QuerySet[Delivery]:
        endpoint = self._endpoints().filter(pk=self.kwargs["endpoint_id"]).first()
        if endpoint is None:
            raise NotFound("You have no webhook endpoint of this id.")
        return (
            Delivery.objects.filter(endpoint=endpoint)
            .select_related("event")
            .prefetch_related("tries")
        )

    @action(detail=True, methods=["post"], throttle_classes=[WebhookSendThrottle])
    def redeliver(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        delivery = services.delivery_redeliver(delivery=self.get_object())
        return Response(_as_now(delivery), status=status.HTTP_202_ACCEPTED)
