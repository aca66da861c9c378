-- The modlog (6/8): every admin action, appended in the transaction of the
-- action, never changed (the next migration makes that a rule of the
-- database).
CREATE TABLE modlog (
    id TEXT PRIMARY KEY NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN (
        'verify_provider', 'approve_verification', 'reject_verification',
        'set_user_active', 'suspend_user', 'unsuspend_user', 'delete_rating',
        'add_category', 'resolve_report', 'dismiss_report', 'hide_content',
        'resolve_dispute'
    )),
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    reason TEXT,
    at TIMESTAMP NOT NULL
);
-- The admin list, newest first, and its filters.
CREATE INDEX modlog_listed ON modlog (at, id);
CREATE INDEX modlog_target ON modlog (target_id);
