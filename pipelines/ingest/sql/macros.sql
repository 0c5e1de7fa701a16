-- Parsing helpers for staged text, created as TEMP macros on the loader's connection.
-- Every value arrives as trimmed text; these turn it into typed values or say why they cannot.

-- Day, month and year parts of a slash, dot or dash date such as 15/03/2024 or 3.15.24.
CREATE OR REPLACE TEMP MACRO cl_dmy(s) AS
    regexp_extract(trim(s), '^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T].*)?$', ['a', 'b', 'y']);

CREATE OR REPLACE TEMP MACRO cl_year(y) AS
    CASE WHEN length(y) = 2
         THEN CASE WHEN try_cast(y AS INTEGER) <= year(current_date) % 100 THEN 2000 + try_cast(y AS INTEGER) ELSE 1900 + try_cast(y AS INTEGER) END
         ELSE try_cast(y AS INTEGER) END;

-- Which order a slash date's parts must be in: 'dayfirst', 'monthfirst', 'either' (the two readings
-- agree), 'ambiguous' (both parts 12 or under and no convention), or NULL (not a slash date).
-- A part above 12 forces an order whether or not the value is a real date in it (13/13/2020 then
-- fails to parse); only real dates vote for a column's convention (pipelines/ingest/stage.py).
-- Kept small: it is expanded inside every date and timestamp parse.
CREATE OR REPLACE TEMP MACRO cl_slash_order(s, conv) AS
    CASE
        WHEN cl_dmy(s).a = '' THEN NULL
        WHEN try_cast(cl_dmy(s).a AS INTEGER) > 12 THEN 'dayfirst'
        WHEN try_cast(cl_dmy(s).b AS INTEGER) > 12 THEN 'monthfirst'
        WHEN try_cast(cl_dmy(s).a AS INTEGER) = try_cast(cl_dmy(s).b AS INTEGER) THEN 'either'
        WHEN conv IN ('dayfirst', 'monthfirst') THEN conv
        ELSE 'ambiguous'
    END;

-- ISO dates take the fast path (a plain cast); everything else the regular expressions.
CREATE OR REPLACE TEMP MACRO cl_parse_date(s, conv) AS
    CASE
        WHEN s IS NULL OR trim(s) = '' THEN NULL
        WHEN try_cast(s AS DATE) IS NOT NULL AND regexp_matches(s, '^\s*\d{4}-') THEN try_cast(s AS DATE)
        WHEN regexp_matches(trim(s), '^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T]|$)')   -- year first: 2014/03/25 too
            THEN try_cast(regexp_replace(regexp_extract(trim(s), '^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2})', 1), '[/.]', '-', 'g') AS DATE)
        WHEN cl_slash_order(s, conv) IN ('dayfirst', 'either')
            THEN try(make_date(cl_year(cl_dmy(s).y), try_cast(cl_dmy(s).b AS INTEGER), try_cast(cl_dmy(s).a AS INTEGER)))
        WHEN cl_slash_order(s, conv) = 'monthfirst'
            THEN try(make_date(cl_year(cl_dmy(s).y), try_cast(cl_dmy(s).a AS INTEGER), try_cast(cl_dmy(s).b AS INTEGER)))
        ELSE NULL
    END;

-- Why a non-blank value is not a date (NULL when it parses).
CREATE OR REPLACE TEMP MACRO cl_date_problem(s, conv) AS
    CASE
        WHEN s IS NULL OR trim(s) = '' THEN NULL
        WHEN cl_parse_date(s, conv) IS NOT NULL THEN NULL
        WHEN cl_slash_order(s, conv) = 'ambiguous'
            THEN 'ambiguous date: day-first and month-first readings differ and nothing in the column settles it'
        ELSE 'not a date: expected YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY'
    END;

-- Timestamps: a date as above, then an optional time HH:MM[:SS] with optional AM/PM.
CREATE OR REPLACE TEMP MACRO cl_time(s) AS
    regexp_extract(trim(s), '[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp][Mm])?', ['h', 'm', 's', 'ampm']);

-- The hour of the day: a 24-hour clock without AM/PM (14:30 is 14, not 2), a 12-hour one with it
-- (12 AM is 0, 12 PM is 12); an hour the clock does not have is NULL (make_timestamp then fails, and
-- the value is quarantined as not a date and time). "13:00 PM" is read as 13.
CREATE OR REPLACE TEMP MACRO cl_hour(h, ampm) AS
    CASE WHEN ampm = '' THEN h
         WHEN ampm = 'AM' AND h BETWEEN 1 AND 12 THEN h % 12
         WHEN ampm = 'PM' AND h BETWEEN 1 AND 12 THEN h % 12 + 12
         WHEN ampm = 'PM' AND h BETWEEN 13 AND 23 THEN h
    END;

CREATE OR REPLACE TEMP MACRO cl_parse_ts(s, conv) AS
    CASE
        WHEN s IS NULL THEN NULL
        WHEN try_cast(trim(s) AS TIMESTAMP) IS NOT NULL AND regexp_matches(s, '^\s*\d{4}-')
            THEN try_cast(trim(s) AS TIMESTAMP)
        WHEN cl_parse_date(s, conv) IS NULL THEN NULL
        WHEN cl_time(s).h = '' THEN cl_parse_date(s, conv)::TIMESTAMP
        ELSE try(make_timestamp(
            year(cl_parse_date(s, conv)), month(cl_parse_date(s, conv)), day(cl_parse_date(s, conv)),
            cl_hour(try_cast(cl_time(s).h AS INTEGER), upper(cl_time(s).ampm)),
            try_cast(cl_time(s).m AS INTEGER),
            coalesce(try_cast(nullif(cl_time(s).s, '') AS DOUBLE), 0)))
    END;

-- Numbers as people type them: "3", "3.0", "3,5", " 4 ", "1,234.50", "1.234,50", following the
-- file's decimal convention `dec`: 'dot' (a comma-separated file: 1,500 is 1500 and 1.500 is 1.5),
-- 'comma' (a ';' file: 1.500 is 1500 and 1,500 is 1.5) or 'unknown' (a tab or pipe file). A value
-- that only one reading fits is read so under any convention (5.0, 12,5, 1,234.50, 1.000.000); one
-- whose single separator before three digits may be either (1.500, 2,400) follows the convention,
-- and with none it is NULL (cl_number_problem says it is ambiguous). NaN and infinity are no numbers.
CREATE OR REPLACE TEMP MACRO cl_number(s, dec) AS
    CASE WHEN NOT contains(s, ',') AND NOT regexp_full_match(trim(s), '[+-]?\d{1,3}(\.\d{3})+')
              AND isfinite(try_cast(trim(s) AS DOUBLE))
             THEN try_cast(trim(s) AS DOUBLE)
         WHEN regexp_full_match(trim(s), '[+-]?\d{1,3}(\.\d{3})+')
             THEN CASE WHEN dec = 'comma' OR regexp_full_match(trim(s), '[+-]?\d{1,3}(\.\d{3}){2,}')
                       THEN try_cast(replace(trim(s), '.', '') AS DOUBLE)
                       WHEN dec = 'dot' THEN try_cast(trim(s) AS DOUBLE) END
         WHEN regexp_full_match(trim(s), '[+-]?\d{1,3}(,\d{3})+')
             THEN CASE WHEN dec = 'dot' OR regexp_full_match(trim(s), '[+-]?\d{1,3}(,\d{3}){2,}')
                       THEN try_cast(replace(trim(s), ',', '') AS DOUBLE)
                       WHEN dec = 'comma' THEN try_cast(replace(trim(s), ',', '.') AS DOUBLE) END
         WHEN regexp_full_match(trim(s), '[+-]?\d{1,3}(,\d{3})+\.\d+') THEN try_cast(replace(trim(s), ',', '') AS DOUBLE)
         WHEN regexp_full_match(trim(s), '[+-]?\d{1,3}(\.\d{3})+,\d+')
             THEN try_cast(replace(replace(trim(s), '.', ''), ',', '.') AS DOUBLE)
         WHEN regexp_full_match(trim(s), '[+-]?\d*,\d+') THEN try_cast(replace(trim(s), ',', '.') AS DOUBLE)
    END;

-- Why a non-blank value is not a number (for a value cl_number gave NULL).
CREATE OR REPLACE TEMP MACRO cl_number_problem(s, dec) AS
    CASE WHEN dec NOT IN ('dot', 'comma') AND regexp_full_match(trim(s), '[+-]?\d{1,3}([.,]\d{3})')
         THEN 'ambiguous number: ' || trim(s) || ' may use a thousands or a decimal separator and the file '
              || 'does not say which (write it without a thousands separator)'
         ELSE 'not a number' END;

CREATE OR REPLACE TEMP MACRO cl_blank(s) AS (s IS NULL OR trim(s) = '');

-- Text a spreadsheet would run as a formula (=, +, -, @, tab or CR first, and not a plain number)
-- is kept as text with a leading apostrophe, so no stored value can run in a later export.
CREATE OR REPLACE TEMP MACRO cl_safe(s) AS
    CASE WHEN regexp_matches(s, '^[ ]*[=+\-@\t\r]')
              AND NOT regexp_full_match(trim(s), '[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?')
         THEN '''' || s ELSE s END;
