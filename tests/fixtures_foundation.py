"""Small canonical files, built in code, with known contents."""

PROGRAMS = """
    program_id,name,type,cost_per_participant,admin_cost,currency
    P1,Values alignment,alignment,3000,5000,GBP
    P2,Exec career,executive_career,6000,2000,gbp
"""

PEOPLE = """
    employee_id,full_name,email,date_of_birth,department,team,job_level,hire_date,exit_date,exit_type,years_experience,salary_band
    E001,Ann Example,ann@example.org,1980-02-03, Sales , North ,manager,2019-01-15,,,12,60-80k
    E002,Bo Example,bo@example.org,15/04/1990,Sales,North,junior,2020-03-01,2024-05-20,Voluntary,4,30-45k
    E003,Cy Example,,,Sales,South,director,13/02/2015,,,27,150-250k
    E004,Di Example,,,Ops,A,manager,2021-01-01,2020-01-01,voluntary,8,45-60k
    ,No Id,,,Ops,A,manager,2021-01-01,,,8,45-60k
    E005,Ed Example,,,Ops,A,manager,03/04/2021,,,8,45-60k
    E006,Fi Example,,,Ops,A,manager,2021-01-01,,,eight,45-60k
    E007,Gu Example,,,Ops,A,manager,2099-01-01,,,3,45-60k
"""

ENROLMENTS = """
    employee_id,program_id,cohort_id,coach_id,start_date,end_date,sessions_planned,sessions_attended,status
    E001,P1,C1,K1,2024-01-20,2024-07-10,8,8,completed
    E003,P1,C1,K1,2024-01-22,2024-07-10,8,6,Completed
    E999,P1,C1,K1,2024-01-22,2024-07-10,8,6,completed
    E002,P9,C1,K1,2024-01-22,2024-07-10,8,6,completed
    E005,P2,C2,K2,2024-02-01,2024-01-01,8,6,completed
"""

SURVEY = """
    employee_id,submitted_at,eng_vig1,eng_vig2,eng_vig3,val1,val2,val3,tis1,tis3,enps
    E001,2024-01-16 09:00,4,5,,6,6,5,2,4,9
    E001,2024-01-18 09:00,4,5,6,6,6,5,2,4,10
    E002,2024-01-17,9,5,6,6,6,5,2,4,7
    E003,2024-01-17,3,3,3,,,,,,
    E005,2024-01-17,,,,,,,,,
"""

# Expected outcome of loading the four files above in one run.
EXPECTED = {
    "programs.csv": (2, 2, 0),
    "people.csv": (8, 4, 4),
    "enrolments.csv": (5, 2, 3),
    "survey_2024-01.csv": (5, 2, 3),
}
