-- Returns the stored values of the channel versions :channel_versions names:
-- a list's row has value_type 'convstore.list', no value and its item_count
-- (its items: list_items.sql). A version not stored has no row.
-- :conversation_id   the thread's conversation
-- :checkpoint_ns     the namespace
-- :channel_versions  a JSON object of channel name: version (a checkpoint's channel_versions)
-- Index: langgraph_channel_values_key, once per channel.
SELECT v.channel, v.value_type, v.value, v.item_count
  FROM json_each(:channel_versions) AS wanted
  JOIN langgraph_channel_values AS v
    ON v.conversation_id = :conversation_id
   AND v.checkpoint_ns = :checkpoint_ns
   AND v.channel = wanted.key
   AND v.version = wanted.value;
