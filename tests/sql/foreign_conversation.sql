-- A conversation inserted the way another tool would: the column defaults
-- give its timestamps (SQLite: strftime's milliseconds).
-- :id       its id
-- :user_id  its owner
-- Index: conversations primary key.
INSERT INTO conversations (id, user_id) VALUES (:id, :user_id);
