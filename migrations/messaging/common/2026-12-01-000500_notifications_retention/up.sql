-- What the retention purge filters on: old notifications.
CREATE INDEX notifications_created ON notifications (created_at);
