-- Migration bookkeeping (convstore.migrate): who holds yoyo's migration lock,
-- if anyone: the holder's process id and when it took the lock (UTC, as yoyo
-- writes it). At most one row.
-- Index: yoyo_lock primary key (locked).
SELECT pid, ctime
  FROM yoyo_lock;
