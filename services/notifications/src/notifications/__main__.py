from settle_kit.serve import serve

from notifications.config import Settings

serve("notifications.app:create_app", Settings())
