"""Occupations far from the data roles, for the topic model's "OCC" feature.

"what skills does a chef need", "what does a typical week look like for a
nurse", "and lawyers?": asked after an answer about data scientists, such a
message has the words of one of our topics (skills, a typical week, pay)
about somebody else. The topic model learns from its tuning sets how such
messages go; this list lets what it learns of the nurses and chefs it has
seen hold for the dentists and plumbers it has not (`bot.topics.features`).

Left out on purpose: the knowledge's own roles and its neighbours (engineer,
analyst, developer, researcher, architect, manager, recruiter...), and
backgrounds people switch from (statistician, physicist, economist,
mathematician), which questions of ours name ("can a physicist become a
data scientist?"), and words that are more often something else ("driver",
"cleaner", "judge", "coach", "cook", "vet", "miner" as in data miner,
"pilot" as in a pilot project, "builder" as in the sources' architect and
builder).
"""

from __future__ import annotations

OCCUPATIONS = frozenset(
    """
    accountant actor actress astronaut athlete attorney auditor babysitter baker banker barber barista bartender
    beautician bookkeeper bricklayer butcher carpenter caregiver cashier chef chiropractor
    counselor counsellor courier dancer dentist dietitian dietician doctor electrician farmer
    firefighter fireman fisherman florist gardener hairdresser housekeeper influencer janitor jeweler journalist
    landscaper lawyer librarian lifeguard locksmith mailman mechanic midwife musician nanny nurse
    nutritionist optometrist painter paralegal paramedic pharmacist photographer physician physiotherapist
    plumber policeman policewoman postman psychiatrist psychologist radiologist realtor receptionist roofer sailor
    salesman salesperson saleswoman secretary singer soldier surgeon tailor teacher therapist trucker veterinarian
    waiter waitress welder youtuber zookeeper
    """.split()
)


def names_occupation(word: str) -> bool:
    """Whether a word, lower case, names one of `OCCUPATIONS`, in the
    singular or the plural ("nurses", "secretaries")."""
    if word in OCCUPATIONS:
        return True
    if word.endswith("ies"):
        return word[:-3] + "y" in OCCUPATIONS
    if word.endswith("es") and word[:-2] in OCCUPATIONS:
        return True
    return word.endswith("s") and word[:-1] in OCCUPATIONS
