DROP TABLE favorites;
DROP TABLE provider_services;
DROP TABLE refresh_tokens;
DROP TABLE login_sessions;
DROP TABLE users;
