-- Migration bookkeeping (convstore.migrate): release the migration lock taken
-- at :ctime by process :pid, or clear that lock once it is known to be stale.
-- Matching both values never removes a lock another process took since.
-- :pid    the holder's process id, as read from yoyo_lock
-- :ctime  when it took the lock, exactly as read from yoyo_lock
-- Index: yoyo_lock primary key (locked); the table holds at most one row.
DELETE FROM yoyo_lock
 WHERE pid = :pid
   AND ctime = :ctime;
