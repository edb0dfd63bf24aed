"""Adapters for agent frameworks, each an optional extra: ``openai_agents``
(``convstore[openai-agents]``), ``pydantic_ai`` (``convstore[pydantic-ai]``). They import only :mod:`convstore.store` and
:mod:`convstore.content`; nothing in convstore imports them."""
