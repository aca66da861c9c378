DROP TRIGGER modlog_no_delete;
DROP TRIGGER modlog_no_update;
