from . import Delivered, Delivery, register


@register("clerk_queue")
class ClerkQueueAdapter:
    """The department decides in the portal's workbench: delivering means putting the filing in its queue."""

    def deliver(self, delivery: Delivery) -> Delivered:
        return Delivered()
