from settle_kit.serve import serve

from gateway.config import Settings

serve("gateway.app:create_app", Settings())
