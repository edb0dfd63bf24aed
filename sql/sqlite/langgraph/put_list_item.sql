-- Stores one item of a list stored item by item (see put_value.sql).
-- :conversation_id  the thread's conversation
-- :user_id          its owner
-- :checkpoint_ns    the namespace
-- :channel          the channel's name
-- :version          the list's version
-- :position         the item's position in the list, from 0
-- :value_type       the serializer's type tag
-- :value            the serialized item
-- :digest           a hash of :value_type and :value, to compare lists by
-- Index: langgraph_list_items_key.
INSERT INTO langgraph_list_items
       (conversation_id, user_id, checkpoint_ns, channel, version, position,
        value_type, value, digest)
VALUES (:conversation_id, :user_id, :checkpoint_ns, :channel, :version, :position,
        :value_type, :value, :digest)
    ON CONFLICT (conversation_id, checkpoint_ns, channel, version, position) DO NOTHING;
