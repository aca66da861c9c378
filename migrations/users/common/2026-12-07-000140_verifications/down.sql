ALTER TABLE users DROP COLUMN verification;
DROP TABLE verification_files;
DROP TABLE verifications;
