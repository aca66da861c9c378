DROP INDEX offers_provider_status;
DROP INDEX jobs_accepted_provider;
DROP TABLE closed_accounts;
