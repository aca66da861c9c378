DROP TABLE booking_locations;
DROP TABLE booking_events;
DROP TABLE bookings;
