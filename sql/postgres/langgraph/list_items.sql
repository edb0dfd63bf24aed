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
    -- LATERAL, kept apart by LIMIT (and OFFSET 0 below): one primary-key
    -- lookup per step, whatever the planner guesses of the table's size
    SELECT base.version, base.base_version, base.kept_items,
           least(chain.upper_bound, chain.kept_items)
      FROM chain
     CROSS JOIN LATERAL (
           SELECT version, base_version, kept_items
             FROM langgraph_channel_values
            WHERE conversation_id = :conversation_id
              AND checkpoint_ns = :checkpoint_ns
              AND channel = :channel
              AND version = chain.base_version
            LIMIT 1
           ) AS base
     WHERE least(chain.upper_bound, chain.kept_items) > 0
)
SELECT item.position, item.digest,
       CASE WHEN :with_values::boolean THEN item.value_type END AS value_type,
       CASE WHEN :with_values::boolean THEN item.value END AS value
  FROM chain
 CROSS JOIN LATERAL (
       SELECT position, digest, value_type, value
         FROM langgraph_list_items
        WHERE conversation_id = :conversation_id
          AND checkpoint_ns = :checkpoint_ns
          AND channel = :channel
          AND version = chain.version
          AND position >= chain.kept_items
          AND position < chain.upper_bound
       OFFSET 0
       ) AS item
 ORDER BY item.position;
