from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.models import utcnow

from messaging.models import Base


class Attachment(Base):
    """A file held by the platform: its bytes in storage under `storage_key`, never a public URL."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    uploader_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def summary(self) -> dict:
        """What a message shows of it."""
        return {"id": self.id, "name": self.name, "content_type": self.content_type, "size": self.size}
