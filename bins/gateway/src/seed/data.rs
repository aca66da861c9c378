//! The demo marketplace's places, trades and names.

pub(super) const CITIES: &[(&str, f64, f64)] = &[
    ("Lisbon", 38.7223, -9.1393),
    ("Porto", 41.1579, -8.6291),
    ("Madrid", 40.4168, -3.7038),
    ("Paris", 48.8566, 2.3522),
    ("London", 51.5074, -0.1278),
    ("Berlin", 52.5200, 13.4050),
];

pub(super) const CATEGORIES: &[(&str, &str, &str)] = &[
    (
        "plumbing",
        "Leaking kitchen tap",
        "The tap drips all night and the pipe under the sink is wet.",
    ),
    (
        "electrical",
        "Replace a broken light switch",
        "The hallway switch sparks when I flip it.",
    ),
    (
        "cleaning",
        "Deep clean after moving out",
        "Two-bedroom flat, windows and oven included.",
    ),
    (
        "carpentry",
        "Fix a sticking wardrobe door",
        "The hinge is loose and the door scrapes the floor.",
    ),
    (
        "painting",
        "Paint the living room walls",
        "About 40 m² of wall, white, ceiling not included.",
    ),
    (
        "moving",
        "Move a sofa across town",
        "Three-seat sofa, third floor, no lift.",
    ),
    (
        "appliance-repair",
        "Washing machine will not drain",
        "Water stays in the drum after the cycle.",
    ),
    (
        "gardening",
        "Mow the lawn and trim the hedge",
        "Small back garden, hedge about 10 m long.",
    ),
    (
        "hvac",
        "Air conditioning unit not cooling",
        "Wall unit runs but blows warm air.",
    ),
    (
        "other",
        "Assemble flat-pack furniture",
        "A bed frame and two bedside tables.",
    ),
];

pub(super) const FIRST_NAMES: &[&str] = &[
    "Ana", "Bruno", "Carla", "David", "Eva", "Filipe", "Grace", "Hugo", "Inês", "João", "Karin",
    "Luis", "Marta", "Nuno", "Olga", "Pedro", "Quinn", "Rita", "Sofia", "Tiago", "Uma", "Vera",
    "Will", "Zoe",
];
