-- 001: the core warehouse. Canonical, pseudonymised tables; no raw employee id, name, email,
-- phone, address, national id or birth date is ever stored (see docs/design.md).

CREATE TABLE warehouse_meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE SEQUENCE batch_id_seq START 1;

CREATE TABLE load_batches (
    batch_id          INTEGER PRIMARY KEY,
    run_id            VARCHAR NOT NULL,
    file_name         VARCHAR NOT NULL,
    file_sha256       VARCHAR NOT NULL,
    entity            VARCHAR NOT NULL,
    source_format     VARCHAR NOT NULL,
    rows_in           BIGINT NOT NULL CHECK (rows_in >= 0),
    rows_loaded       BIGINT NOT NULL CHECK (rows_loaded >= 0),
    rows_quarantined  BIGINT NOT NULL CHECK (rows_quarantined >= 0),
    dropped_columns   VARCHAR[] NOT NULL,
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP NOT NULL,
    status            VARCHAR NOT NULL CHECK (status IN ('loaded', 'loaded_with_quarantine', 'unchanged')),
    CHECK (rows_in = rows_loaded + rows_quarantined)
);

CREATE TABLE quarantine (
    batch_id     INTEGER NOT NULL,
    source_row   BIGINT NOT NULL,      -- 1-based line of the data row in the source file, header excluded
    column_name  VARCHAR,              -- NULL when the whole row is at fault (e.g. a duplicate)
    value        VARCHAR,              -- the offending value; never a raw identifier
    reason       VARCHAR NOT NULL
);

CREATE TABLE teams (
    team_id     VARCHAR PRIMARY KEY,   -- department || ' / ' || team
    department  VARCHAR NOT NULL,
    team        VARCHAR NOT NULL
);

CREATE TABLE people (
    participant_key      VARCHAR PRIMARY KEY,  -- HMAC-SHA256(secret, normalised employee_id), hex
    team_id              VARCHAR NOT NULL,
    department           VARCHAR NOT NULL,
    team                 VARCHAR NOT NULL,
    job_level            VARCHAR,
    hire_date            DATE,
    exit_date            DATE,
    exit_type            VARCHAR CHECK (exit_type IN ('voluntary', 'involuntary')),
    years_experience     DOUBLE CHECK (years_experience >= 0),
    age_band             VARCHAR,
    salary_band          VARCHAR,
    career_phase         VARCHAR NOT NULL CHECK (career_phase IN ('early', 'mid', 'late', 'unknown')),
    career_phase_source  VARCHAR NOT NULL,  -- explicit / years_experience / age / job_level / none
    batch_id             INTEGER NOT NULL,
    CHECK (exit_date IS NULL OR hire_date IS NULL OR exit_date >= hire_date),
    CHECK ((exit_date IS NULL) = (exit_type IS NULL))
);

CREATE TABLE programs (
    program_id            VARCHAR PRIMARY KEY,
    name                  VARCHAR NOT NULL,
    program_type          VARCHAR NOT NULL CHECK (program_type IN ('alignment', 'executive_career', 'leadership', 'team', 'other')),
    cost_per_participant  DECIMAL(14, 2) CHECK (cost_per_participant >= 0),
    total_cost            DECIMAL(14, 2) CHECK (total_cost >= 0),
    admin_cost            DECIMAL(14, 2) CHECK (admin_cost >= 0),
    currency              VARCHAR NOT NULL,
    batch_id              INTEGER NOT NULL
);

CREATE TABLE coaches (
    coach_id  VARCHAR PRIMARY KEY
);

CREATE TABLE cohorts (
    cohort_id    VARCHAR PRIMARY KEY,
    program_id   VARCHAR NOT NULL,
    start_date   DATE NOT NULL,         -- earliest enrolment start in the cohort
    end_date     DATE NOT NULL,         -- latest enrolment end (or planned end)
    is_waitlist  BOOLEAN NOT NULL,      -- every enrolment has status waitlist
    participants INTEGER NOT NULL
);

CREATE TABLE enrolments (
    participant_key    VARCHAR NOT NULL,
    program_id         VARCHAR NOT NULL,
    cohort_id          VARCHAR NOT NULL,
    coach_id           VARCHAR,
    start_date         DATE NOT NULL,
    end_date           DATE NOT NULL,
    sessions_planned   INTEGER CHECK (sessions_planned >= 0),
    sessions_attended  INTEGER CHECK (sessions_attended >= 0),
    status             VARCHAR NOT NULL CHECK (status IN ('active', 'completed', 'withdrawn', 'waitlist')),
    batch_id           INTEGER NOT NULL,
    PRIMARY KEY (participant_key, cohort_id),
    CHECK (end_date >= start_date)
);

CREATE TABLE sessions (
    participant_key   VARCHAR NOT NULL,
    coach_id          VARCHAR,
    session_date      DATE NOT NULL,
    duration_minutes  INTEGER NOT NULL CHECK (duration_minutes > 0 AND duration_minutes <= 600),
    batch_id          INTEGER NOT NULL
);

-- Hires and exits, one row an event, derived from the people extract on every load.
CREATE TABLE employment_events (
    participant_key  VARCHAR NOT NULL,
    event_type       VARCHAR NOT NULL CHECK (event_type IN ('hire', 'exit')),
    event_date       DATE NOT NULL,
    exit_type        VARCHAR CHECK (exit_type IN ('voluntary', 'involuntary'))
);

-- Survey responses, scored at ingestion: one row a response, one column a scale score.
-- Wide and scored, because every dashboard query reads one or two measures over many responses;
-- see docs/design.md. Scores are NULL where fewer than min_answered of the items were answered.
CREATE TABLE survey_responses (
    response_id       BIGINT PRIMARY KEY,
    survey_id         VARCHAR NOT NULL,   -- the administration: a `survey_id` column, else the file name
    participant_key   VARCHAR NOT NULL,
    submitted_at      TIMESTAMP NOT NULL,
    wave_reported     VARCHAR,            -- a wave column in the file, if any (baseline/mid/post/follow_up)
    items_answered    INTEGER NOT NULL,
    engagement        DOUBLE,
    vigour            DOUBLE,
    dedication        DOUBLE,
    absorption        DOUBLE,
    motivation_sdi    DOUBLE,
    intrinsic         DOUBLE,
    integrated        DOUBLE,
    identified        DOUBLE,
    introjected       DOUBLE,
    external          DOUBLE,
    amotivation       DOUBLE,
    values_alignment  DOUBLE,
    intent_to_stay    DOUBLE,
    enps              DOUBLE,             -- the 0-10 answer; eNPS (% 9-10 minus % 0-6) is an aggregate
    batch_id          INTEGER NOT NULL
);

CREATE SEQUENCE response_id_seq START 1;
