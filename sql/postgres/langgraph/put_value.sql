-- Stores one version of a channel's value; a version is written once (a
-- version already stored is kept: LangGraph never gives two values one version).
-- :conversation_id  the thread's conversation
-- :user_id          its owner
-- :checkpoint_ns    the namespace
-- :channel          the channel's name
-- :version          the channel's version, as text
-- :value_type       the serializer's type tag, or 'convstore.list'
-- :value            the serialized value (NULL for a list)
-- :base_version     a list: the version whose first :kept_items items it keeps (or NULL)
-- :kept_items       a list: how many items of :base_version it keeps
-- :item_count       a list: its length
-- Index: langgraph_channel_values_key.
INSERT INTO langgraph_channel_values
       (conversation_id, user_id, checkpoint_ns, channel, version, value_type, value,
        base_version, kept_items, item_count)
VALUES (:conversation_id, :user_id, :checkpoint_ns, :channel, :version, :value_type,
        :value::bytea, :base_version, :kept_items::integer, :item_count::integer)
    ON CONFLICT (conversation_id, checkpoint_ns, channel, version) DO NOTHING;
