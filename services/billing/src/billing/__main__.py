from settle_kit.serve import serve

from billing.config import Settings

serve("billing.app:create_app", Settings())
