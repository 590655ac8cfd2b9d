from settle_kit.serve import serve

from messaging.config import Settings

serve("messaging.app:create_app", Settings())
