DROP INDEX ratings_rater_created;
