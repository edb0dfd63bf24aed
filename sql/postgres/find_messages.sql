-- One user's messages that contain :text exactly, newest written first (write
-- order, migration pg_0016; never a timestamp, which can tie). Case is ignored
-- in every script by Unicode's lower-case mapping (ICU's root locale, whatever
-- the database's locale; not full case folding: STRASSE does not find straße),
-- as SQLite's convstore_lower does; the text is matched literally, so % _ and
-- \ are plain characters. Reads the user's messages newest first until :limit
-- match: a trigram index (pg_trgm) was no faster for one user's messages here
-- and would cost about 5x per insert.
-- :user_id  whose messages to look through
-- :text     the text to find
-- :limit    how many messages at most
-- Index: messages_user_write_order (user_id, write_order DESC), then
--        conversations primary key for each match's title.
SELECT m.conversation_id, c.title, m.seq, m.role, m.content, m.created_at
  FROM messages AS m
  JOIN conversations AS c ON c.id = m.conversation_id
 WHERE m.user_id = :user_id
   AND strpos(lower(m.content COLLATE "und-x-icu"), lower(:text COLLATE "und-x-icu")) > 0
 ORDER BY m.write_order DESC NULLS LAST, m.seq DESC
 LIMIT :limit;
