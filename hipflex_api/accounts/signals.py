"""What accounts tell the apps above them, which they may not import."""

from django.dispatch import Signal

# Sent with `link` inside the transaction that ends a coaching link, from either side or by
# deleting either account: what was prescribed through it ends with it.
link_ended = Signal()
