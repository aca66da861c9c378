DROP TABLE followed_sessions;
DROP TABLE followed_accounts;
DROP TABLE followed_bookings;
