-- Parsing helpers for staged text, created as TEMP macros on the loader's connection.
-- Every value arrives as trimmed text; these turn it into typed values or say why they cannot.

-- Day, month and year parts of a slash, dot or dash date such as 15/03/2024 or 3.15.24.
CREATE OR REPLACE TEMP MACRO cl_dmy(s) AS
    regexp_extract(trim(s), '^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T].*)?$', ['a', 'b', 'y']);

CREATE OR REPLACE TEMP MACRO cl_year(y) AS
    CASE WHEN length(y) = 2
         THEN CASE WHEN y::INTEGER <= year(current_date) % 100 THEN 2000 + y::INTEGER ELSE 1900 + y::INTEGER END
         ELSE y::INTEGER END;

-- Which order a slash date's parts must be in: 'dayfirst', 'monthfirst', 'either' (the two readings
-- agree), 'ambiguous' (both parts 12 or under and no convention), or NULL (not a slash date).
CREATE OR REPLACE TEMP MACRO cl_slash_order(s, conv) AS
    CASE
        WHEN cl_dmy(s).a = '' THEN NULL
        WHEN cl_dmy(s).a::INTEGER > 12 THEN 'dayfirst'
        WHEN cl_dmy(s).b::INTEGER > 12 THEN 'monthfirst'
        WHEN cl_dmy(s).a::INTEGER = cl_dmy(s).b::INTEGER THEN 'either'
        WHEN conv IN ('dayfirst', 'monthfirst') THEN conv
        ELSE 'ambiguous'
    END;

CREATE OR REPLACE TEMP MACRO cl_parse_date(s, conv) AS
    CASE
        WHEN s IS NULL OR trim(s) = '' THEN NULL
        WHEN regexp_matches(trim(s), '^\d{4}-\d{1,2}-\d{1,2}([ T]|$)')
            THEN try_cast(regexp_extract(trim(s), '^(\d{4}-\d{1,2}-\d{1,2})', 1) AS DATE)
        WHEN cl_slash_order(s, conv) IN ('dayfirst', 'either')
            THEN try(make_date(cl_year(cl_dmy(s).y), cl_dmy(s).b::INTEGER, cl_dmy(s).a::INTEGER))
        WHEN cl_slash_order(s, conv) = 'monthfirst'
            THEN try(make_date(cl_year(cl_dmy(s).y), cl_dmy(s).a::INTEGER, cl_dmy(s).b::INTEGER))
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

CREATE OR REPLACE TEMP MACRO cl_parse_ts(s, conv) AS
    CASE
        WHEN cl_parse_date(s, conv) IS NULL THEN NULL
        WHEN cl_time(s).h = '' THEN cl_parse_date(s, conv)::TIMESTAMP
        ELSE try(make_timestamp(
            year(cl_parse_date(s, conv)), month(cl_parse_date(s, conv)), day(cl_parse_date(s, conv)),
            (cl_time(s).h::INTEGER % 12) + CASE WHEN upper(cl_time(s).ampm) = 'PM' THEN 12
                                                WHEN cl_time(s).ampm = '' AND cl_time(s).h::INTEGER = 12 THEN 12
                                                ELSE 0 END,
            cl_time(s).m::INTEGER,
            coalesce(nullif(cl_time(s).s, '')::DOUBLE, 0)))
    END;

-- Numbers as people type them: "3", "3.0", "3,5" (decimal comma), " 4 ".
-- A comma is a thousands separator in 3,000 or 1,234.50 and a decimal comma in 3,5; the regular
-- expressions run only on values that hold a comma.
CREATE OR REPLACE TEMP MACRO cl_number(s) AS
    CASE WHEN NOT contains(s, ',') THEN try_cast(trim(s) AS DOUBLE)
         WHEN regexp_full_match(trim(s), '-?\d{1,3}(,\d{3})+(\.\d+)?') THEN try_cast(replace(trim(s), ',', '') AS DOUBLE)
         WHEN regexp_full_match(trim(s), '-?\d+,\d+') THEN try_cast(replace(trim(s), ',', '.') AS DOUBLE)
    END;

CREATE OR REPLACE TEMP MACRO cl_blank(s) AS (s IS NULL OR trim(s) = '');

-- Text a spreadsheet would run as a formula (=, +, -, @, tab or CR first, and not a plain number)
-- is kept as text with a leading apostrophe, so no stored value can run in a later export.
CREATE OR REPLACE TEMP MACRO cl_safe(s) AS
    CASE WHEN regexp_matches(s, '^[ ]*[=+\-@\t\r]')
              AND NOT regexp_full_match(trim(s), '[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?')
         THEN '''' || s ELSE s END;
