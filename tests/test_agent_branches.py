"""The persistent agent's edit and regenerate: each continues on a new branch
that shares the history before the edited or regenerated message (real
openai client, fake server over HTTP; both databases)."""

from __future__ import annotations

import pytest

from convstore import InvalidInput, ModelError, NotFound

from .fake_openai import SYSTEM, agent_for, error_reply, text_reply


def _turns(agent, fake, conversation_id):
    for question, answer in (("Plan a trip", "Where to?"), ("Lisbon", "Three days in Lisbon.")):
        fake.script.append(text_reply(answer))
        agent.chat(conversation_id, question)


def _conversation(agent, store, branch_id):
    return [(m["role"], m["content"]) for m in store.get_messages(branch_id, limit=None)]


def test_regenerate_answers_again_on_a_branch(store, user, fake, client):
    agent = agent_for(store, client)
    root = agent.start_conversation(user)
    _turns(agent, fake, root)
    fake.script.append(text_reply("Lisbon in three days: Alfama, Belém, Sintra."))

    branch, reply = agent.regenerate(root, 4)

    assert reply == "Lisbon in three days: Alfama, Belém, Sintra."
    assert _conversation(agent, store, branch) == [
        ("user", "Plan a trip"),
        ("assistant", "Where to?"),
        ("user", "Lisbon"),
        ("assistant", reply),
    ]
    assert _conversation(agent, store, root)[-1] == ("assistant", "Three days in Lisbon.")
    assert fake.requests[-1]["messages"] == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Plan a trip"},
        {"role": "assistant", "content": "Where to?"},
        {"role": "user", "content": "Lisbon"},
    ]
    assert store.get_branch(root)["active_branch_id"] == branch


def test_edit_sends_the_edited_prompt_and_continues_there(store, user, fake, client):
    agent = agent_for(store, client)
    root = agent.start_conversation(user)
    _turns(agent, fake, root)
    fake.script.append(text_reply("Porto it is."))

    branch, reply = agent.edit(root, 3, "Porto")

    assert reply == "Porto it is."
    assert fake.requests[-1]["messages"][-1] == {"role": "user", "content": "Porto"}
    assert _conversation(agent, store, branch)[2:] == [("user", "Porto"), ("assistant", reply)]
    fake.script.append(text_reply("Francesinha."))
    assert agent.chat(branch, "What to eat?") == "Francesinha."
    assert len(store.get_messages(branch, limit=None)) == 6
    assert len(store.get_messages(root, limit=None)) == 4


def test_a_retried_edit_uses_the_same_branch_and_stores_the_prompt_once(store, user, fake, client):
    agent = agent_for(store, client)
    root = agent.start_conversation(user)
    _turns(agent, fake, root)
    fake.script.append(error_reply(500))
    fake.script.append(text_reply("Porto it is."))

    with pytest.raises(ModelError):
        agent.edit(root, 3, "Porto", request_id="edit-1")
    branch, reply = agent.edit(root, 3, "Porto", request_id="edit-1")

    assert reply == "Porto it is."
    assert [b["conversation_id"] for b in store.list_branches(root)] == [branch]
    assert _conversation(agent, store, branch)[2:] == [("user", "Porto"), ("assistant", reply)]


def test_edit_and_regenerate_refuse_the_wrong_message(store, user, fake, client):
    agent = agent_for(store, client)
    root = agent.start_conversation(user)
    _turns(agent, fake, root)

    with pytest.raises(InvalidInput, match="user message"):
        agent.edit(root, 2, "no")
    with pytest.raises(InvalidInput, match="assistant message"):
        agent.regenerate(root, 1)
    with pytest.raises(NotFound):
        agent.regenerate(root, 9)
    assert store.list_branches(root) == []
    assert len(fake.requests) == 2
