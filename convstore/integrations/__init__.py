"""Adapters for agent frameworks, as optional extras (empty until they land).
They import only :mod:`convstore.store` and :mod:`convstore.content`; nothing
in convstore imports them."""
