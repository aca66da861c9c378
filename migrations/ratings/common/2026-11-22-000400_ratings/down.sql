DROP TABLE rating_pairs;
DROP TABLE ratings;
