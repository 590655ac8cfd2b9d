from settle_kit.serve import serve

from bookings.config import Settings

serve("bookings.app:create_app", Settings())
