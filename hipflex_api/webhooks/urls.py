from rest_framework.routers import SimpleRouter

from hipflex_api.fields import UUID_PATTERN

from .views import WebhookDeliveryViewSet, WebhookEndpointViewSet

router = SimpleRouter()
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
router.register(
    f"webhooks/(?P<endpoint_id>{UUID_PATTERN})/deliveries",
    WebhookDeliveryViewSet,
    basename="webhook-delivery",
)

urlpatterns = router.urls
