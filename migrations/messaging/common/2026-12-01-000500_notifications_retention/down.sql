DROP INDEX notifications_created;
