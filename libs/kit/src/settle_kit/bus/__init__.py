"""The event bus: transactional outbox, relay, inbox and consumer over RabbitMQ (aio-pika)."""
