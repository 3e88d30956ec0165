from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.throttling import UserRateThrottle

from hipflex_api.accounts.auth import request_user
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
    """Pings and redeliveries per person: each sends a request to a URL of theirs."""

    scope = "webhook_send"


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
    viewsets.GenericViewSet,
):
    """/webhooks/: the URLs the caller has events of their own data sent to."""

    queryset = Endpoint.objects.all()
    serializer_class = WebhookEndpointSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[Endpoint]:
        return Endpoint.objects.filter(user=request_user(self.request))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = _valid(WebhookEndpointRequestSerializer, request)
        endpoint = services.endpoint_create(user=request_user(request), **body)
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
class WebhookDeliveryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """/webhooks/{endpoint_id}/deliveries/: the delivery log of one of the caller's
    endpoints, newest first, and sending one again."""

    queryset = Delivery.objects.all()
    serializer_class = WebhookDeliverySerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[Delivery]:
        endpoint = Endpoint.objects.filter(
            user=request_user(self.request), pk=self.kwargs["endpoint_id"]
        ).first()
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
