"""A persistent chat agent: an OpenAI chat loop that stores every turn in a
:class:`~convstore.store.Store` and sends the model a budgeted context, never
the unbounded history. Needs the ``agent`` extra (``pip install convstore[agent]``).

Each :meth:`PersistentAgent.chat` call stores the user message, sends the system
prompt (always, never trimmed) plus the newest stored messages that fit
``max_context_tokens - reserve_tokens`` (a trimmed context never starts on a
tool result whose call was cut away), stores the reply with its token count,
latency, model and usage, and returns its text.

Token counts: an assistant message gets the API's ``completion_tokens``. A user
message is stored with an estimate (4 characters a token) and corrected once
the reply arrives: the API's ``prompt_tokens`` less the stored counts of the
context messages sent with it and an estimate of the system prompt.
"""

from __future__ import annotations

import inspect
import json
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import validation
from .chat_format import openai_message
from .errors import ConvstoreError, InvalidInput
from .store import Message, Store

CHARACTERS_PER_TOKEN = 4
"""The estimate used before the API reports real counts."""


class ModelError(ConvstoreError):
    """The model API call failed (after the client's own retries). The user
    message stays stored and no reply is; ``__cause__`` is the OpenAI error.
    Retry by calling ``chat`` again with the same ``request_id``."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Tool:
    """A Python function the model may call. ``parameters`` is the JSON schema
    of its keyword arguments; name and description default to the function's."""

    function: Callable[..., Any]
    name: str = ""
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", self.name or self.function.__name__)
        description = self.description or inspect.getdoc(self.function) or ""
        object.__setattr__(self, "description", description)

    def schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


def estimate_tokens(text: str | None) -> int:
    return max(1, len(text or "") // CHARACTERS_PER_TOKEN)


class PersistentAgent:
    """An OpenAI chat loop whose history lives in ``store``.

    ``client`` defaults to ``openai.OpenAI()``, so ``OPENAI_API_KEY`` and
    ``OPENAI_BASE_URL`` work as usual, as does any OpenAI-compatible server.
    The model is sent at most ``max_context_tokens - reserve_tokens`` tokens of
    history plus the system prompt; ``reserve_tokens`` is left for the reply.
    """

    def __init__(
        self,
        store: Store,
        client: Any = None,
        model: str = "gpt-4o-mini",
        system_prompt: str = "You are a helpful assistant.",
        max_context_tokens: int = 8000,
        reserve_tokens: int = 1000,
        max_tool_rounds: int = 5,
    ) -> None:
        if not isinstance(store, Store):
            raise InvalidInput(f"store must be a convstore Store, not {type(store).__name__}")
        validation.text("system_prompt", system_prompt)
        validation.count("max_context_tokens", max_context_tokens, minimum=1)
        validation.count("reserve_tokens", reserve_tokens)
        validation.count("max_tool_rounds", max_tool_rounds)
        if reserve_tokens >= max_context_tokens:
            raise InvalidInput("reserve_tokens must be smaller than max_context_tokens")
        if client is None:
            import openai

            client = openai.OpenAI()
        self.store = store
        self.client = client
        self.model = model
        self.system_prompt = system_prompt
        self.max_context_tokens = max_context_tokens
        self.reserve_tokens = reserve_tokens
        self.max_tool_rounds = max_tool_rounds

    def start_conversation(self, user_id: str, title: str | None = None) -> str:
        return self.store.create_conversation(
            user_id, title=title, metadata={"agent_model": self.model}
        )

    def get_history(self, conversation_id: str) -> list[Message]:
        """Every stored message of the conversation, oldest first."""
        return self.store.get_messages(conversation_id, limit=None)

    def chat(
        self,
        conversation_id: str,
        user_message: str,
        tools: Sequence[Tool | Callable[..., Any]] = (),
        request_id: str | None = None,
    ) -> str:
        """Send ``user_message`` and return the model's reply, storing both.

        With ``tools`` the model may call them: each call and its result are
        stored, and the model is asked again until it answers in text (at most
        ``max_tool_rounds`` rounds). Pass the same ``request_id`` when retrying
        a failed call, and the user message is not stored twice.

        :raises ModelError: if the API call fails.
        """
        offered = {tool.name: tool for tool in map(_as_tool, tools)}
        user = self._store_user_message(conversation_id, user_message, request_id)
        for round_number in range(self.max_tool_rounds + 1):
            messages, context_tokens = self._request_messages(conversation_id)
            started = time.perf_counter()
            completion = self._call(messages, tools=[t.schema() for t in offered.values()])
            latency_ms = round((time.perf_counter() - started) * 1000)
            if round_number == 0:  # later prompts also carry this turn's tool messages
                self._correct_user_tokens(user, completion.usage, context_tokens)
            reply = completion.choices[0].message
            stored = self._store_reply(
                conversation_id, reply.content, reply.tool_calls, completion, latency_ms
            )
            if not reply.tool_calls:
                return stored["content"] or ""
            for call in reply.tool_calls:
                self._run_tool(conversation_id, offered, call)
        raise ModelError(
            f"the model kept calling tools after {self.max_tool_rounds} rounds", retryable=False
        )

    def chat_stream(
        self, conversation_id: str, user_message: str, request_id: str | None = None
    ) -> Iterator[str]:
        """Like :meth:`chat` (without tools), but yield the reply's text as it
        arrives; the whole reply is stored once the stream ends."""
        user = self._store_user_message(conversation_id, user_message, request_id)
        messages, context_tokens = self._request_messages(conversation_id)
        started = time.perf_counter()
        parts: list[str] = []
        usage = None
        model = self.model
        try:
            stream = self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
            )
            for chunk in stream:
                model = chunk.model or model
                usage = chunk.usage or usage
                for choice in chunk.choices:
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        yield choice.delta.content
        except Exception as error:  # the SDK's errors are wrapped, as in chat()
            raise _model_error(error) from error
        latency_ms = round((time.perf_counter() - started) * 1000)
        self._correct_user_tokens(user, usage, context_tokens)
        self._store_assistant(
            conversation_id, "".join(parts), None, model, usage, latency_ms, streamed=True
        )

    # -- the steps --------------------------------------------------------------------------

    def _store_user_message(
        self, conversation_id: str, text: str, request_id: str | None
    ) -> Message:
        key = f"user:{request_id or uuid.uuid4()}"
        return self.store.add_message(
            conversation_id, "user", text, tokens=estimate_tokens(text), idempotency_key=key
        )

    def _request_messages(self, conversation_id: str) -> tuple[list[dict[str, Any]], int]:
        """The system prompt plus the newest history that fits the budget, in
        the OpenAI format; and the stored token count of that history."""
        budget = self.max_context_tokens - self.reserve_tokens - estimate_tokens(self.system_prompt)
        context = self.store.get_recent_context(conversation_id, max_tokens=max(0, budget))
        if not context:  # the new message alone is over the budget: send it anyway
            context = self.store.get_messages(conversation_id, limit=1)
        history = [openai_message(message) for message in context]
        context_tokens = sum(message["tokens"] or 0 for message in context)
        return [{"role": "system", "content": self.system_prompt}, *history], context_tokens

    def _call(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        try:
            return self.client.chat.completions.create(
                model=self.model, messages=messages, **({"tools": tools} if tools else {})
            )
        except Exception as error:  # the SDK's errors are wrapped for the caller
            raise _model_error(error) from error

    def _correct_user_tokens(self, user: Message, usage: Any, context_tokens: int) -> None:
        """Replace the user message's estimate with what the API counted."""
        if usage is None or not getattr(usage, "prompt_tokens", None):
            return
        others = context_tokens - (user["tokens"] or 0) + estimate_tokens(self.system_prompt)
        counted = max(1, usage.prompt_tokens - others)
        if counted != user["tokens"]:
            self.store.set_message_tokens(user["conversation_id"], user["seq"], counted)
            user["tokens"] = counted

    def _store_reply(
        self, conversation_id: str, content: str | None, tool_calls: Any, completion: Any,
        latency_ms: int,
    ) -> Message:  # fmt: skip
        calls = [call.model_dump(exclude_none=True) for call in tool_calls] if tool_calls else None
        return self._store_assistant(
            conversation_id, content, calls, completion.model, completion.usage, latency_ms
        )

    def _store_assistant(
        self,
        conversation_id: str,
        content: str | None,
        tool_calls: list[dict[str, Any]] | None,
        model: str,
        usage: Any,
        latency_ms: int,
        streamed: bool = False,
    ) -> Message:
        metadata: dict[str, Any] = {"model": model or self.model}
        if usage is not None:
            metadata["usage"] = usage.model_dump(exclude_none=True)
        if streamed:
            metadata["streamed"] = True
        tokens = getattr(usage, "completion_tokens", None) if usage is not None else None
        return self.store.add_message(
            conversation_id,
            "assistant",
            content,
            tokens=tokens if tokens is not None else estimate_tokens(content),
            latency_ms=latency_ms,
            metadata=metadata,
            tool_calls=tool_calls,
        )

    def _run_tool(self, conversation_id: str, offered: dict[str, Tool], call: Any) -> None:
        """Run one requested tool and store its result (or its error, for the
        model to see) as a tool message."""
        tool = offered.get(call.function.name)
        try:
            if tool is None:
                raise LookupError(f"no tool named {call.function.name!r}")
            result = tool.function(**json.loads(call.function.arguments or "{}"))
            content = result if isinstance(result, str) else json.dumps(result, default=str)
        except Exception as error:  # a failing tool is reported to the model, not raised
            content = json.dumps({"error": f"{type(error).__name__}: {error}"})
        self.store.add_message(
            conversation_id,
            "tool",
            content,
            tokens=estimate_tokens(content),
            tool_call_id=call.id,
            name=call.function.name,
        )


def _as_tool(tool: Tool | Callable[..., Any]) -> Tool:
    return tool if isinstance(tool, Tool) else Tool(tool)


def _model_error(error: Exception) -> ModelError:
    import openai

    retryable = isinstance(
        error,
        (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError,
         openai.InternalServerError),
    )  # fmt: skip
    return ModelError(f"the model call failed: {type(error).__name__}: {error}", retryable)
