DROP TRIGGER modlog_no_truncate ON modlog;
DROP TRIGGER modlog_no_change ON modlog;
DROP FUNCTION modlog_append_only();
