"""The service's one clock (the kit's: settle_kit.clock). Outside production
`NOTIFICATIONS_FAKE_NOW` starts it at that instant; tests running the app in their own process
move it with `app.state.clock.set(...)`."""

from settle_kit.clock import Clock

__all__ = ["Clock"]
