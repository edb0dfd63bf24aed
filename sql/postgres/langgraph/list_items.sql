-- Returns the items of a list stored item by item, in order: the version's
-- own items and those it keeps of its base version, of that one's base ...
-- (a recursive walk down the chain of versions). With :with_values false,
-- only positions and digests (to compare a new list with it).
-- :conversation_id  the thread's conversation
-- :checkpoint_ns    the namespace
-- :channel          the channel's name
-- :version          the list's version
-- :with_values      whether to return each item's type and value
-- Index: langgraph_channel_values_key once per version of the chain;
--        langgraph_list_items_key, a range per version.
WITH RECURSIVE chain (version, base_version, kept_items, upper_bound) AS (
    SELECT version, base_version, kept_items, item_count
      FROM langgraph_channel_values
     WHERE conversation_id = :conversation_id
       AND checkpoint_ns = :checkpoint_ns
       AND channel = :channel
       AND version = :version
       AND value_type = 'convstore.list'
    UNION ALL
    SELECT base.version, base.base_version, base.kept_items,
           least(chain.upper_bound, chain.kept_items)
      FROM chain
      JOIN langgraph_channel_values AS base
        ON base.conversation_id = :conversation_id
       AND base.checkpoint_ns = :checkpoint_ns
       AND base.channel = :channel
       AND base.version = chain.base_version
     WHERE least(chain.upper_bound, chain.kept_items) > 0
)
SELECT item.position, item.digest,
       CASE WHEN :with_values::boolean THEN item.value_type END AS value_type,
       CASE WHEN :with_values::boolean THEN item.value END AS value
  FROM chain
  JOIN langgraph_list_items AS item
    ON item.conversation_id = :conversation_id
   AND item.checkpoint_ns = :checkpoint_ns
   AND item.channel = :channel
   AND item.version = chain.version
   AND item.position >= chain.kept_items
   AND item.position < chain.upper_bound
 ORDER BY item.position;
