-- tunduk exchange log on PostgreSQL, schema version 1.
-- msglog_head hands out sequence numbers: a commit takes its row lock,
-- so numbers are gapless and commit in order (a reader that sees seq N
-- sees every seq below it).
CREATE TABLE msglog_head (
	id       int PRIMARY KEY CHECK (id = 1),
	next_seq bigint NOT NULL
);
INSERT INTO msglog_head (id, next_seq) VALUES (1, 1);

-- Records and batch seals, in one sequence, until an archive holds them.
CREATE TABLE msglog_entries (
	seq        bigint PRIMARY KEY,
	instance   text NOT NULL,
	written_at timestamptz NOT NULL DEFAULT now(),
	payload    bytea NOT NULL
);

-- The sealer's state: where the next rotation scans from and each archive
-- group's chain head. Written only by the holder of the sealer lease.
CREATE TABLE msglog_state (
	id       int PRIMARY KEY CHECK (id = 1),
	state    bytea NOT NULL,
	holder   text NOT NULL,
	saved_at timestamptz NOT NULL
);
