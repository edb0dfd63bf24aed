-- Migration bookkeeping (convstore.migrate): take yoyo's migration lock, in the
-- row yoyo itself writes, so yoyo's command line and convstore exclude each
-- other. Fails with a unique violation while another process holds it.
-- :pid    this process's id
-- :ctime  now, UTC without a time zone (as yoyo writes it)
-- Index: yoyo_lock primary key (locked).
INSERT INTO yoyo_lock (locked, ctime, pid)
VALUES (1, :ctime, :pid);
