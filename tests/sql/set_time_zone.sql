-- The session's TimeZone, as `SET TimeZone = ...` sets it (set_config takes a
-- bound value, SET does not).
-- :zone  an IANA zone name, e.g. 'Pacific/Kiritimati'
SELECT set_config('TimeZone', :zone, false) AS time_zone;
