"""A persistent chat agent: an OpenAI chat loop that stores every turn in a
:class:`~convstore.store.Store` and sends the model a budgeted context, never
the unbounded history. Needs the ``agent`` extra (``pip install convstore[agent]``).

Each :meth:`PersistentAgent.chat` call stores the user message, sends the system
prompt (always, never trimmed) plus the newest stored messages that fit
``max_context_tokens - reserve_tokens`` (a trimmed context never starts on a
tool result whose call was cut away), stores the reply with its token count,
latency, model and usage, and returns its text.

Token counts: an assistant message gets the API's ``completion_tokens``. A user
message (and a reply without usage, a tool result) is stored without a count,
so the store keeps its estimate (:mod:`convstore.token_estimate`, marked
``tokens_estimated``); the user message's is corrected once the reply
arrives: the API's ``prompt_tokens`` less the stored counts of the context
messages sent with it and an estimate of the system prompt.

The history sent is always one the API accepts (see
:func:`convstore.content.chat_format.valid_history` for the rules, from the OpenAI Chat
Completions API reference). A tool call whose result was never stored (the tool
was interrupted, the process died between the call and its result) is answered
with a stored tool message ``{"error": "the tool call did not complete ..."}``
before the next request, so the stored conversation is valid too and the model
sees that the call failed. Items of other kinds stored in the conversation (a
reasoning item, a Responses-API function call: ``kind`` other than
``"message"``) are never sent: Chat Completions has no place for them, so they
are left out of the request (they still count in the token budget, which is
then an upper bound). Tool results are always storable: see
:func:`tool_result_text`. Replies are stored so that they can be sent back: a
refusal (``content`` null, ``refusal`` set) is the reply's text and is kept in
its ``metadata["refusal"]``; tool calls are stored as :func:`stored_tool_calls`
makes them (a missing, empty or repeated id replaced).

Logs to the ``convstore`` logger: a warning when a server refuses
``stream_options`` (streamed replies then carry no usage), when unanswered
tool calls are answered as not completed, and when tool calls of a reply are
given new ids.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from . import token_estimate, validation
from .content.chat_format import (
    UNANSWERED_TOOL_CALL,
    call_ids,
    call_name,
    is_chat_message,
    message_text,
    unanswered_result,
    valid_history,
)
from .errors import ConfigurationError, ConversationExists, InvalidInput, ModelError, NotFound
from .store.store import Message, Store
from .urls import redact

logger = logging.getLogger("convstore")

PLACEHOLDER_API_KEY = "unused"
"""The API key sent to an ``OPENAI_BASE_URL`` server when ``OPENAI_API_KEY`` is
unset: the OpenAI client needs some key, and a local server ignores it."""

NOT_ABOUT_THE_REQUEST_BODY = frozenset({401, 403, 404, 408, 429})
"""4xx statuses that say nothing about a request's parameters (credentials,
permissions, an unknown model or path, a timeout, a rate limit): a streamed
request refused with one of these is not retried without ``stream_options``."""

_GROUP_PAGE = 16
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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
    """The store's estimate of a message of ``text`` alone
    (:func:`convstore.token_estimate.message_tokens`): what a message stored
    without a count holds until the API reports a real one."""
    return token_estimate.message_tokens(text=text)


def openai_client() -> Any:
    """An ``openai.OpenAI`` client configured from the environment, as the
    OpenAI SDK does it (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ...), except
    that with ``OPENAI_BASE_URL`` set and ``OPENAI_API_KEY`` unset or empty it
    sends :data:`PLACEHOLDER_API_KEY`: a local OpenAI-compatible server (vLLM,
    Ollama, llama.cpp) needs no key, but the client refuses to start without one.

    :raises ConfigurationError: naming ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL``,
        when neither is set (and the SDK finds no other credentials).
    """
    import openai

    if not os.environ.get("OPENAI_API_KEY") and os.environ.get("OPENAI_BASE_URL"):
        return openai.OpenAI(api_key=PLACEHOLDER_API_KEY)
    try:
        return openai.OpenAI()
    except openai.OpenAIError as error:
        if os.environ.get("OPENAI_API_KEY"):
            raise ConfigurationError(f"cannot set up the OpenAI client: {error}") from error
        raise ConfigurationError(
            "OPENAI_API_KEY is not set: set it to your OpenAI API key, or set "
            "OPENAI_BASE_URL to an OpenAI-compatible server that needs no key"
        ) from error


def tool_result_text(value: Any, max_bytes: int = validation.DEFAULT_LIMITS.max_text_bytes) -> str:
    """What a tool returned, as the text of its tool message: always text the
    store accepts (see :mod:`convstore.validation`), of at most ``max_bytes``
    bytes of UTF-8 (the store's ``Limits.max_text_bytes``).

    A ``str`` is kept as it is; ``bytes`` are read as UTF-8 (undecodable
    bytes become U+FFFD); anything else is JSON (``json.dumps`` with
    ``default=str``; ``None`` is ``null``), or its ``repr`` when it is not
    JSON (a cycle, keys that are not strings). Then each NUL character, which
    PostgreSQL cannot store, becomes the six characters ``\\u0000``; each lone
    surrogate, which is not UTF-8, becomes U+FFFD; and text over ``max_bytes``
    is cut, ending with a line that says how long it was.
    """
    if isinstance(value, str):
        text = str.__str__(value)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        text = bytes(value).decode("utf-8", "replace")
    else:
        try:
            text = json.dumps(value, default=str, ensure_ascii=False)
        except Exception:  # not JSON, or its str() fails: the repr says what it was
            text = _safe_repr(value)
    text = _LONE_SURROGATE.sub("\ufffd", text.replace("\x00", "\\u0000"))
    return _cut(text, max_bytes)


class BranchReply(NamedTuple):
    """What :meth:`PersistentAgent.edit` and :meth:`PersistentAgent.regenerate` return."""

    conversation_id: str
    """The new branch, where the conversation goes on."""
    reply: str
    """The model's reply, as :meth:`PersistentAgent.chat` returns it."""


class PersistentAgent:
    """An OpenAI chat loop whose history lives in ``store``.

    ``client`` defaults to :func:`openai_client`, so ``OPENAI_API_KEY`` and
    ``OPENAI_BASE_URL`` work as usual, as does any OpenAI-compatible server
    (one that needs no key too). The model is sent at most
    ``max_context_tokens - reserve_tokens`` tokens of history plus the system
    prompt; ``reserve_tokens`` is left for the reply.

    :raises ConfigurationError: without ``client``, if neither
        ``OPENAI_API_KEY`` nor ``OPENAI_BASE_URL`` is set.
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
            client = openai_client()
        self.store = store
        self.client = client
        self.model = model
        self.system_prompt = system_prompt
        self.max_context_tokens = max_context_tokens
        self.reserve_tokens = reserve_tokens
        self.max_tool_rounds = max_tool_rounds
        self.stream_usage: bool | None = None
        """Whether the server takes ``stream_options`` (``None``: not known yet)."""

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
        A refusal is returned as the reply (its text, stored with
        ``metadata["refusal"]``); a reply with no content and no tool calls is ``""``.

        With ``tools`` the model may call them: each call and its result are
        stored, and the model is asked again until it answers in text (at most
        ``max_tool_rounds`` rounds). A tool that raises an ``Exception`` has
        the error stored as its result, for the model to see; one interrupted
        by a ``BaseException`` (``KeyboardInterrupt``, ``SystemExit``) has
        it and every later call of the round answered as not completed, and
        the exception propagates. Pass the same ``request_id`` when retrying
        a failed call, and the user message is not stored twice.

        :raises ModelError: if the API call fails.
        """
        offered = _offered(tools)
        self._answer_unanswered_calls(conversation_id, UNANSWERED_TOOL_CALL)
        user = self._store_user_message(conversation_id, user_message, request_id)
        return self._answer(conversation_id, offered, user)

    def edit(
        self,
        conversation_id: str,
        seq: int,
        new_text: str,
        tools: Sequence[Tool | Callable[..., Any]] = (),
        request_id: str | None = None,
    ) -> BranchReply:
        """Edit user message ``seq`` as a chat app does, and answer it: a new
        branch shares the messages before it, gets ``new_text`` as its
        message ``seq`` and the model's reply (as :meth:`chat` makes one,
        with ``tools``), and becomes its tree's active branch
        (:meth:`convstore.Store.edit_message`). The original message and
        what followed it stay in the conversation. Continue with
        ``chat(reply.conversation_id, ...)``.

        Pass the same ``request_id`` when retrying a failed call: the same
        branch is used and the edited message is not stored twice.

        :raises NotFound: if the conversation or the message does not exist.
        :raises InvalidInput: if message ``seq`` is not a user message.
        :raises ModelError: if the API call fails (the branch and the edited
            message stay stored).
        """
        offered = _offered(tools)
        self._message_of_role(conversation_id, seq, "user", "edit")
        message = {
            "role": "user",
            "content": new_text,
            "idempotency_key": f"user:{request_id or uuid.uuid4()}",
        }
        branch_id = self._branch_name(conversation_id, seq, "edit", request_id)
        try:
            user = self.store.edit_message(conversation_id, seq, message, branch_id=branch_id)
        except ConversationExists:  # a retry: the first attempt made the branch
            self._check_retried_branch(conversation_id, seq, branch_id)
            (user,) = self.store.add_messages(str(branch_id), [message])
        return BranchReply(
            user["conversation_id"], self._answer(user["conversation_id"], offered, user)
        )

    def regenerate(
        self,
        conversation_id: str,
        seq: int,
        tools: Sequence[Tool | Callable[..., Any]] = (),
        request_id: str | None = None,
    ) -> BranchReply:
        """Ask for another version of assistant message ``seq``: a new branch
        shares the messages before it, gets the model's new reply (as
        :meth:`chat` makes one, with ``tools``), and becomes its tree's
        active branch (:meth:`convstore.Store.regenerate`). The original
        answer stays in the conversation. Continue with
        ``chat(reply.conversation_id, ...)``; a retry with the same
        ``request_id`` uses the same branch.

        :raises NotFound: if the conversation or the message does not exist.
        :raises InvalidInput: if message ``seq`` is not an assistant message.
        :raises ModelError: if the API call fails (the branch stays).
        """
        offered = _offered(tools)
        self._message_of_role(conversation_id, seq, "assistant", "regenerate")
        branch_id = self._branch_name(conversation_id, seq, "regenerate", request_id)
        try:
            branch = self.store.regenerate(conversation_id, seq, branch_id=branch_id)
        except ConversationExists:
            self._check_retried_branch(conversation_id, seq, branch_id)
            branch = str(branch_id)
        return BranchReply(branch, self._answer(branch, offered, None))

    def _message_of_role(self, conversation_id: str, seq: int, role: str, verb: str) -> None:
        """Refuse to ``verb`` message ``seq`` unless it is a ``role`` message."""
        message = self.store.get_message(conversation_id, seq)
        if message is None:
            raise NotFound(f"conversation {conversation_id} has no message {seq}")
        if message["role"] != role or not is_chat_message(message):
            raise InvalidInput(
                f"message {seq} is a {message['role']} {message['kind']}: {verb} takes "
                f"a {role} message"
            )

    @staticmethod
    def _branch_name(
        conversation_id: str, seq: int, verb: str, request_id: str | None
    ) -> str | None:
        """The id of the branch a request makes: a name of the request (so
        a retry finds it), or ``None`` for a new random one."""
        if request_id is None:
            return None
        parent = validation.conversation_id(conversation_id)
        return validation.conversation_id(f"{parent}/{seq}/{verb}/{request_id}")

    def _check_retried_branch(self, conversation_id: str, seq: int, branch_id: str | None) -> None:
        """A taken branch id is a retry's only if it forks the same message."""
        place = None if branch_id is None else self.store.get_branch(branch_id)
        expected = (validation.conversation_id(conversation_id), seq - 1)
        if place is None or (place["parent_id"], place["fork_seq"]) != expected:
            raise ConversationExists(
                f"conversation {branch_id} exists and is not this request's branch"
            )

    def _answer(self, conversation_id: str, offered: dict[str, Tool], user: Message | None) -> str:
        """Ask the model about the conversation as it is and store its
        reply, running the ``offered`` tools as :meth:`chat` says; the
        reply's text. The first prompt's usage corrects ``user``'s estimated tokens."""
        for round_number in range(self.max_tool_rounds + 1):
            messages, context_tokens = self._request_messages(conversation_id)
            started = time.perf_counter()
            completion = self._call(messages, tools=[t.schema() for t in offered.values()])
            latency_ms = round((time.perf_counter() - started) * 1000)
            if round_number == 0 and user is not None:  # later prompts carry tool messages
                self._correct_user_tokens(user, completion.usage, context_tokens)
            stored = self._store_reply(conversation_id, completion, latency_ms)
            if not stored["tool_calls"]:
                return message_text(stored)
            try:
                for call in stored["tool_calls"]:
                    self._run_tool(conversation_id, offered, stored["seq"], call)
            except BaseException as interrupted:
                reason = f"the tool call did not complete: {type(interrupted).__name__}"
                try:
                    self._answer_unanswered_calls(conversation_id, reason)
                except Exception:  # the store is failing too: the next chat answers them
                    pass
                raise
        raise ModelError(
            f"the model kept calling tools after {self.max_tool_rounds} rounds", retryable=False
        )

    def chat_stream(
        self, conversation_id: str, user_message: str, request_id: str | None = None
    ) -> Iterator[str]:
        """Like :meth:`chat` (without tools), but yield the reply's text (or
        a refusal's) as it arrives; the whole reply is stored once the stream ends.

        The first streamed request asks for the usage
        (``stream_options={"include_usage": true}``). If the server refuses
        it -- a 4xx naming ``stream_options``, or on this first request any
        4xx but those in :data:`NOT_ABOUT_THE_REQUEST_BODY` -- the request is
        sent again once without it, and if that succeeds this agent no longer
        sends it (:attr:`stream_usage` is ``False``); such replies are stored
        with estimated token counts and no usage.

        :raises ModelError: if the API call fails.
        """
        self._answer_unanswered_calls(conversation_id, UNANSWERED_TOOL_CALL)
        user = self._store_user_message(conversation_id, user_message, request_id)
        messages, context_tokens = self._request_messages(conversation_id)
        started = time.perf_counter()
        parts: list[str] = []
        refusal_parts: list[str] = []
        usage = None
        model = self.model
        try:
            stream = self._open_stream(messages)
            for chunk in stream:
                model = chunk.model or model
                usage = chunk.usage or usage
                for choice in chunk.choices:
                    refusal = getattr(choice.delta, "refusal", None)
                    if isinstance(refusal, str) and refusal:
                        refusal_parts.append(refusal)
                        yield refusal
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        yield choice.delta.content
        except Exception as error:  # the SDK's errors are wrapped, as in chat()
            raise _model_error(error) from error
        latency_ms = round((time.perf_counter() - started) * 1000)
        self._correct_user_tokens(user, usage, context_tokens)
        text, refusal = "".join(parts), "".join(refusal_parts) or None
        self._store_assistant(
            conversation_id, text, None, model, usage, latency_ms, streamed=True, refusal=refusal
        )

    # -- the steps --------------------------------------------------------------------------

    def _store_user_message(
        self, conversation_id: str, text: str, request_id: str | None
    ) -> Message:
        key = f"user:{request_id or uuid.uuid4()}"
        return self.store.add_message(conversation_id, "user", text, idempotency_key=key)

    def _request_messages(self, conversation_id: str) -> tuple[list[dict[str, Any]], int]:
        """The system prompt plus the newest history that fits the budget, made
        valid (:func:`~convstore.content.chat_format.valid_history`), in the OpenAI
        format; and the stored token count of the stored messages sent."""
        budget = self.max_context_tokens - self.reserve_tokens - estimate_tokens(self.system_prompt)
        context: list[Message] = list(
            self.store.get_recent_context(conversation_id, max_tokens=max(0, budget))
        )
        if all(message["pinned"] for message in context if is_chat_message(message)):
            # The newest message (with the tool results after it) is over the
            # budget alone (items after it may fit, but are not sent): send it
            # anyway, the model cannot answer without it.
            included = {message["seq"] for message in context}
            newest = self._newest_group(conversation_id)
            context = [*context, *(m for m in newest if m["seq"] not in included)]
        history = valid_history(context)
        context_tokens = sum(message["tokens"] or 0 for message in history.sent)
        system = {"role": "system", "content": self.system_prompt}
        return [system, *history.messages], context_tokens

    def _newest_group(self, conversation_id: str) -> list[Message]:
        """The newest chat message that is not a tool message, and the tool
        messages stored after it, oldest first (only tool messages if there is
        none); items of other kinds are passed over."""
        group: list[Message] = []
        before_seq = None
        while True:
            page = self.store.get_messages(
                conversation_id, limit=_GROUP_PAGE, before_seq=before_seq
            )
            chat = [message for message in page if is_chat_message(message)]
            for position in range(len(chat) - 1, -1, -1):
                if chat[position]["role"] != "tool":
                    return [*chat[position:], *group]
            group = [*chat, *group]
            if len(page) < _GROUP_PAGE:
                return group
            before_seq = page[0]["seq"]

    def _answer_unanswered_calls(self, conversation_id: str, reason: str) -> None:
        """Store a tool message ``{"error": reason}`` for each call of the
        newest assistant message that has no stored result, if that message
        calls tools and nothing but tool messages follow it."""
        newest = self._newest_group(conversation_id)
        if not newest or newest[0]["role"] != "assistant":
            return
        caller = newest[0]
        answered = {message["tool_call_id"] for message in newest[1:]}
        unanswered = [call_id for call_id in call_ids(caller) if call_id not in answered]
        if unanswered:
            logger.warning(
                "answering %d tool calls of message %d as not completed",
                len(unanswered),
                caller["seq"],
            )
        for call_id in unanswered:
            name = call_name(caller, call_id)
            result = unanswered_result(reason)
            self._store_tool_result(conversation_id, caller["seq"], call_id, name, result)

    def _open_stream(self, messages: list[dict[str, Any]]) -> Any:
        """The streamed completion; without ``stream_options`` if the server
        refuses them (see :meth:`chat_stream`). OpenAI's errors propagate."""
        import openai

        create = self.client.chat.completions.create
        if self.stream_usage is False:
            return create(model=self.model, messages=messages, stream=True)
        try:
            stream = create(
                model=self.model,
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
            )
        except openai.APIStatusError as error:
            if not self._refuses_stream_options(error):
                raise
            stream = create(model=self.model, messages=messages, stream=True)
            logger.warning(
                "the model server refused stream_options (HTTP %d); streamed replies "
                "are stored without usage",
                error.status_code,
            )
            self.stream_usage = False
            return stream
        self.stream_usage = True
        return stream

    def _refuses_stream_options(self, error: Any) -> bool:
        status = error.status_code
        if not 400 <= status < 500:
            return False
        if "stream_options" in f"{error.message} {json.dumps(error.body, default=str)}":
            return True
        return self.stream_usage is None and status not in NOT_ABOUT_THE_REQUEST_BODY

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

    def _store_reply(self, conversation_id: str, completion: Any, latency_ms: int) -> Message:
        """Store the model's reply as it is sent back later: its tool calls as
        :func:`stored_tool_calls` makes them; a refusal (``content`` null,
        ``refusal`` set) with the refusal as its text."""
        reply = completion.choices[0].message
        content = reply.content if isinstance(reply.content, str) else None
        calls = stored_tool_calls(reply.tool_calls or []) or None
        refusal = getattr(reply, "refusal", None)
        refusal = refusal if isinstance(refusal, str) and refusal else None
        model, usage = completion.model, completion.usage
        return self._store_assistant(
            conversation_id, content, calls, model, usage, latency_ms, refusal=refusal
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
        refusal: str | None = None,
    ) -> Message:
        """Store an assistant reply. One without tool calls always has text:
        ``content``, else the ``refusal``, else ``""`` (a null content with
        nothing else is what some servers send for an empty reply)."""
        metadata: dict[str, Any] = {"model": model or self.model}
        if usage is not None:
            metadata["usage"] = usage.model_dump(exclude_none=True)
        if streamed:
            metadata["streamed"] = True
        if refusal is not None:
            metadata["refusal"] = refusal
        if not content and not tool_calls:
            content = refusal or ""
        tokens = getattr(usage, "completion_tokens", None) if usage is not None else None
        return self.store.add_message(
            conversation_id,
            "assistant",
            content,
            tokens=tokens,
            latency_ms=latency_ms,
            metadata=metadata,
            tool_calls=tool_calls,
        )

    def _run_tool(
        self, conversation_id: str, offered: dict[str, Tool], caller_seq: int, call: dict[str, Any]
    ) -> None:
        """Run one stored tool call and store its result (or its error, for
        the model to see) as a tool message."""
        name, arguments = call["function"]["name"], call["function"]["arguments"]
        tool = offered.get(name)
        try:
            if tool is None:
                raise LookupError(f"no tool named {name!r}")
            result = tool.function(**json.loads(arguments or "{}"))
        except Exception as error:  # a failing tool is reported to the model, not raised
            result = json.dumps({"error": f"{type(error).__name__}: {_safe_str(error)}"})
        self._store_tool_result(conversation_id, caller_seq, call["id"], name, result)

    def _store_tool_result(
        self, conversation_id: str, caller_seq: int, call_id: str, name: str | None, result: Any
    ) -> None:
        """Store ``result`` (as :func:`tool_result_text` makes it) as the answer
        to one call of the assistant message ``caller_seq``. Its idempotency
        key names that message and the call (ids repeat across turns on some
        servers), so a call is answered once even when the agent and a repair
        race."""
        content = tool_result_text(result, self.store.limits.max_text_bytes)
        key = f"tool-result:{caller_seq}:{call_id}"
        if len(key.encode("utf-8")) > self.store.limits.max_identifier_bytes:
            key = f"tool-result:{caller_seq}:{uuid.uuid5(uuid.NAMESPACE_OID, call_id)}"
        self.store.add_message(
            conversation_id,
            "tool",
            content,
            tool_call_id=call_id,
            name=name,
            idempotency_key=key,
        )


def stored_tool_calls(tool_calls: Sequence[Any]) -> list[dict[str, Any]]:
    """The tool calls of a model's reply (the OpenAI SDK's objects) as the
    agent stores them: each a function call the API takes back in a history
    (:func:`convstore.validation.tool_call_problem`), whatever the server sent.

    A call whose ``id`` is missing, empty or repeats an earlier id of the
    reply (servers do each) gets a new one, ``call_`` and 32 hex digits: it is
    stored, run and answered under that id, so each call gets exactly one
    result. ``type`` is ``"function"``; a missing or non-string function name
    is ``""`` (answered as no such tool); ``arguments`` that are not text (an
    object, from some servers) are stored as their JSON text, missing ones as
    ``"{}"``. Keys a server adds (``index``) are stored as sent, and never sent
    back (:func:`convstore.content.chat_format.sent_calls`).
    """
    calls: list[dict[str, Any]] = []
    replaced = 0
    for call in tool_calls:
        dumped = call.model_dump(exclude_none=True, warnings=False)
        function = dumped.get("function") if isinstance(dumped.get("function"), dict) else {}
        name = function.get("name") if isinstance(function.get("name"), str) else ""
        arguments = function.get("arguments", "{}")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, default=str)
        call_id = dumped.get("id")
        if not isinstance(call_id, str) or not call_id or call_id in (c["id"] for c in calls):
            call_id = f"call_{uuid.uuid4().hex}"
            replaced += 1
        function = {**function, "name": name, "arguments": arguments}
        calls.append({**dumped, "id": call_id, "type": "function", "function": function})
    if replaced:
        logger.warning("gave %d tool calls of a model reply a new id", replaced)
    return calls


def _offered(tools: Sequence[Tool | Callable[..., Any]]) -> dict[str, Tool]:
    """The tools of a call by name."""
    return {tool.name: tool for tool in map(_as_tool, tools)}


def _as_tool(tool: Tool | Callable[..., Any]) -> Tool:
    return tool if isinstance(tool, Tool) else Tool(tool)


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # a repr of the tool's own that fails, or an int too long for str()
        return f"<unprintable {type(value).__name__}>"


def _safe_str(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # an exception whose __str__ fails
        return _safe_repr(error)


def _cut(text: str, max_bytes: int) -> str:
    """``text`` within ``max_bytes`` of UTF-8, with a closing line saying how
    long it was when it had to be cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    note = f"\n[cut: the tool returned {len(encoded):,} bytes; the first ones are kept]"
    room = max_bytes - len(note.encode("utf-8"))
    if room < 0:  # Limits too small for the note
        return encoded[:max_bytes].decode("utf-8", "ignore")
    return encoded[:room].decode("utf-8", "ignore") + note


def _model_error(error: Exception) -> ModelError:
    import openai

    retryable = isinstance(
        error,
        (
            openai.APITimeoutError,
            openai.APIConnectionError,
            openai.RateLimitError,
            openai.InternalServerError,
        ),
    )
    request = getattr(error, "request", None)  # the server, for a call that did not get there
    where = f" ({redact(str(request.url))})" if request is not None else ""
    return ModelError(f"the model call failed: {type(error).__name__}: {error}{where}", retryable)
