CREATE TABLE categories (
    slug TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    keywords TEXT NOT NULL DEFAULT '',
    fallback_low_cents BIGINT NOT NULL,
    fallback_median_cents BIGINT NOT NULL,
    fallback_high_cents BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

INSERT INTO categories (slug, name, keywords, fallback_low_cents, fallback_median_cents, fallback_high_cents, created_at) VALUES
    ('plumbing', 'Plumbing', 'plumb,pipe,leak,drip,faucet,tap,toilet,drain,clog,sink,shower,water heater,boiler,sewer', 8000, 15000, 30000, '2026-11-22 00:00:00'),
    ('electrical', 'Electrical', 'electric,wiring,wire,outlet,socket,switch,breaker,fuse,light,lamp,power,circuit,voltage', 9000, 18000, 35000, '2026-11-22 00:00:00'),
    ('cleaning', 'Cleaning', 'clean,dust,vacuum,mop,tidy,wash,window,carpet,deep clean,maid,spotless', 5000, 10000, 20000, '2026-11-22 00:00:00'),
    ('carpentry', 'Carpentry', 'carpent,wood,door,cabinet,shelf,shelves,furniture,deck,floorboard,frame,hinge', 10000, 20000, 45000, '2026-11-22 00:00:00'),
    ('painting', 'Painting', 'paint,wall,ceiling,primer,coat,repaint,color,colour,brush,roller,wallpaper', 15000, 35000, 80000, '2026-11-22 00:00:00'),
    ('moving', 'Moving', 'move,moving,relocat,truck,van,boxes,haul,furniture removal,packing', 20000, 45000, 100000, '2026-11-22 00:00:00'),
    ('appliance-repair', 'Appliance repair', 'appliance,fridge,refrigerator,washer,washing machine,dryer,dishwasher,oven,stove,microwave,freezer', 8000, 14000, 28000, '2026-11-22 00:00:00'),
    ('gardening', 'Gardening', 'garden,lawn,grass,mow,hedge,tree,prune,weed,yard,plant,leaves', 6000, 12000, 25000, '2026-11-22 00:00:00'),
    ('hvac', 'Heating and cooling', 'hvac,air condition,ac unit,heating,heat pump,furnace,ventilation,duct,thermostat,radiator', 12000, 25000, 60000, '2026-11-22 00:00:00'),
    ('other', 'Other', '', 5000, 12000, 30000, '2026-11-22 00:00:00');

CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    search_text TEXT NOT NULL,
    category TEXT NOT NULL REFERENCES categories (slug),
    status TEXT NOT NULL CHECK (status IN ('open', 'booked', 'completed', 'cancelled')),
    budget_cents BIGINT,
    address TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lng DOUBLE PRECISION NOT NULL,
    scheduled_for TIMESTAMP,
    offer_count INTEGER NOT NULL DEFAULT 0,
    accepted_offer_id TEXT,
    accepted_provider_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX jobs_status_created ON jobs (status, created_at, id);
CREATE INDEX jobs_customer_created ON jobs (customer_id, created_at, id);
CREATE INDEX jobs_status_category ON jobs (status, category, created_at);
CREATE INDEX jobs_status_lat ON jobs (status, lat);
CREATE INDEX jobs_status_budget ON jobs (status, budget_cents);

CREATE TABLE offers (
    id TEXT PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL REFERENCES jobs (id),
    provider_id TEXT NOT NULL,
    category TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    message TEXT NOT NULL,
    eta TIMESTAMP,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'withdrawn')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX offers_one_pending_per_provider ON offers (job_id, provider_id) WHERE status = 'pending';
CREATE UNIQUE INDEX offers_one_accepted_per_job ON offers (job_id) WHERE status = 'accepted';
CREATE INDEX offers_job_created ON offers (job_id, created_at, id);
CREATE INDEX offers_provider_created ON offers (provider_id, created_at, id);
CREATE INDEX offers_category_accepted ON offers (category, status, updated_at);
