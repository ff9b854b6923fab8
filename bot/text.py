"""Text normalisation: from whatever a chat platform delivers to comparable tokens.

Everything here is a pure function of its input; the tables are module-level
constants (read-only), so any number of threads or tasks may call it at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

MAX_INPUT_CHARS = 2000

# --- chat markup -----------------------------------------------------------

# Slack: <@U123>, <@U123|name>, <#C123|name>, <!here>, <!subteam^S1|@team>,
# <https://x|label>, <mailto:a@b|label>; Discord: <@123>, <@!123>, <@&123>,
# <#123>, <:name:123>, <a:name:123>, <t:123:R>, </cmd:123>.
_SLACK_LINK = re.compile(r"<((?:https?|mailto|ftp):[^>|\s]*)(?:\|([^>]*))?>", re.I)
_SLACK_CHANNEL = re.compile(r"<#[A-Z0-9]+(?:\|([^>]*))?>", re.I)
_ANGLE_TOKEN = re.compile(r"<(?:[@!#&:]|a:|t:|/)[^<>]{0,200}>", re.I)
_BARE_MENTIONS = re.compile(r"(?<!\w)@(?:everyone|here|channel)\b", re.I)
_MD_LINK = re.compile(r"\[([^\]]{0,300})\]\((?:[^)\s]{0,500})\)")
_URL = re.compile(r"https?://\S+", re.I)
# Emoji as Slack sends them and as people type them anywhere: ":skull:",
# ":+1::skin-tone-2:" (a name with a letter in it, or +1 / -1).
_EMOJI_CODE = re.compile(r"(?<!\w):(?:(?=[\w+'-]*[a-z])[\w+'-]{1,40}|[+-]1):(?!\w)", re.I)
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


def strip_markup(text: str) -> str:
    """Remove chat markup but keep the words a person would read.

    Mentions, channel pings, emoji codes and timestamps carry no meaning for
    the question and are dropped; links keep their label.
    """
    text = _SLACK_LINK.sub(lambda m: m.group(2) or "", text)
    text = _SLACK_CHANNEL.sub(lambda m: m.group(1) or "", text)
    text = _ANGLE_TOKEN.sub(" ", text)
    text = _BARE_MENTIONS.sub(" ", text)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _URL.sub(" ", text)
    text = _EMOJI_CODE.sub(" ", text)
    return text


def clean_input(text: str) -> tuple[str, bool]:
    """The question as the bot will treat it: cut, control characters removed,
    markup stripped, whitespace folded. Returns (text, was_cut)."""
    if not isinstance(text, str):  # defensive: adapters always pass str
        text = str(text)
    cut = len(text) > MAX_INPUT_CHARS
    if cut:
        text = text[:MAX_INPUT_CHARS]
    # Lone surrogates cannot be encoded anywhere downstream (logs, HTTP).
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = _CONTROL.sub(" ", text)
    text = strip_markup(text)
    text = " ".join(text.split())
    return text, cut


# --- words -----------------------------------------------------------------

# Symbols that carry meaning, rewritten before punctuation is dropped.
_SYMBOLS = [
    (re.compile(r"c\+\+"), " cpp "),
    (re.compile(r"c#"), " csharp "),
    (re.compile(r"ci\s*/\s*cd"), " cicd "),
    (re.compile(r"a/b"), " ab "),
    (re.compile(r"-+>|=+>|\u2192|\u27f6"), " to "),  # "DS -> MLE"
    (re.compile(r"\$"), " dollar "),
    # "she'll", "we'd", "what'd": "she will", "we would", "what would" (not "shell", "wed")
    (re.compile(r"\b(i|you|he|she|it|we|they|that|there)['\u2019]ll\b"), r"\1 will"),
    (re.compile(r"\b(i|you|he|she|it|we|they|that|there|who|what|where|when|why|how)['\u2019]d\b"), r"\1 would"),
    (re.compile(r"(?<=\w)['\u2019](?=\w)"), ""),  # what's -> whats
]
_NON_WORD = re.compile(r"[^\w]+")
_DIGIT_SPLIT = re.compile(r"(?<=[a-z])(?=\d{2,})|(?<=\d)(?=[a-z]{3,})")

# Phrases (after punctuation removal) rewritten to one canonical token. The
# role names are the heart of the domain, so every way chat spells them
# collapses to one token each.
PHRASES: dict[str, str] = {}
SELF = "bot"  # the token for the bot itself


def _add(canonical: str, *variants: str) -> None:
    for v in variants:
        PHRASES[v] = canonical


_add(
    "datascientist",
    "data scientist",
    "data scientists",
    "data sci",
    "data scis",
    "datasci",
    "datascientist",
    "datascientists",
    "ds",
    "dses",
    "d s",
    "data science person",
    "data science people",
    "data science folks",
    "data scientist role",
    "data scientist job",
    "data scientist jobs",
    "scientist data",
)
# The fields stand for their roles: "data science vs ML engineering" is the
# same question as "data scientist vs ML engineer".
_add("datascientist", "data science", "datascience", "data sciences")
_add(
    "mlengineer",
    "machine learning engineer",
    "machine learning engineers",
    "machinelearning engineer",
    "ml engineer",
    "ml engineers",
    "mlengineer",
    "mlengineers",
    "ml eng",
    "ml engs",
    "ml engg",
    "mle",
    "mles",
    "m l e",
    "ai ml engineer",
    "ai ml engineers",
    "ml engineer role",
    "ml engineer job",
    "ml engineer jobs",
    "mle role",
)
_add(
    "mlengineer",
    "machine learning engineering",
    "ml engineering",
    "mlengineering",
    "ml eng work",
)
# "The two roles", "which role": in this bot's context these name both roles.
_add(
    "datascientist mlengineer",
    "the two roles",
    "these two roles",
    "two roles",
    "both roles",
    "these roles",
    "those roles",
    "each role",
    "either role",
    "what role",
    "the two jobs",
    "both jobs",
    "these two jobs",
    "the two careers",
    "the two paths",
    "the two positions",
    "both positions",
    "these positions",
    "the two titles",
)
# "Which role", "which career": one of the two ("which role deploys models?");
# a choice between them only when asked so (`_WHICH_CHOICE`).
_add("datascientist mlengineer", "which role", "which job", "which career", "which path", "which one")
_add("ml", "machine learning", "machinelearning", "ai ml", "ml ai")
_add("mlops", "ml ops", "mlops", "machine learning operations", "ml operations", "ml op", "mlop")
_add("vs", "versus", "vs", "v", "vrs", "compared to", "compared with", "as opposed to")
_add(
    "difference",
    "diff",
    "diffs",
    "difference",
    "differences",
    "differ",
    "differs",
    "differentiate",
    "different",
    "distinction",
    "distinctions",
    "distinguish",
    "distinguishes",
)
_add("deploy", "deploy", "deploys", "deployment", "deployments", "deploying", "deployed", "deployable")
_add("kubernetes", "k8s", "kube", "kubernetes")
_add(
    "production",
    "prod",
    "production",
    "productionize",
    "productionise",
    "productionizing",
    "productionising",
    "productionized",
    "productionised",
)
_add("oncall", "on call", "oncall", "pager", "pagerduty", "paged", "get paged", "gets paged")
_add("notebook", "jupyter", "jupyter notebook", "jupyter notebooks", "ipynb", "notebooks")
_add(
    "salary",
    "salaries",
    "salary",
    "pay",
    "paid",
    "compensation",
    "comp",
    "earn",
    "earns",
    "earning",
    "earnings",
    "wage",
    "wages",
    "tc",
)
_add("master", "masters", "master", "msc", "ms degree", "masters degree", "master degree")
_add("phd", "phd", "ph d", "doctorate")
_add("degree", "degree", "degrees", "bachelor", "bachelors", "bsc")
_add("year", "yrs", "yr", "years", "year")
_add("experience", "exp", "experience", "experienced", "yoe")
_add("you", "u", "ya", "yourself", "r u", "r you", "u r", "are u")  # "what r u": "r" alone is the R language
_add("your", "ur", "yours")
_add("analogy", "analogy", "analogies", "metaphor", "metaphors")
_add("define", "definition", "definitions", "define", "defined", "defining", "meaning of", "job description")
_add(
    "handoff",
    "handoff",
    "hand off",
    "handover",
    "hand over",
    "handoffs",
    "handovers",
    "handing over",
    "handed over",
    "hand it over",
    "throw over the fence",
    "throwing over the fence",
)
_add("fullstack", "full stack", "fullstack")
_add("fullstack datascientist", "full stack data scientist", "full stack data scientists", "fullstack data scientist")
_add("cicd", "cicd", "ci cd", "continuous integration", "continuous deployment", "continuous delivery")
_add("etl", "etl", "elt", "extract transform load")
_add("data engineer", "data eng", "data engs")
_add("responsible", "in charge of")
_add("people", "ppl")
_add("certification", "certificate", "certificates", "cert", "certs", "certifications", "certified")
# A saying, not a computer: "it works on my laptop" (analogy) is not "the best laptop for data science".
_add(
    "worksonmylaptop",
    "works on my laptop",
    "working on my laptop",
    "working on a laptop",
    "works on a laptop",
    "it works on my laptop",
)
# "title" alone is everyday ("what's the title of that song"); a job title is this bot's.
_add("jobtitle", "job title", "job titles", "role title", "role titles", "job titling")
# The bot itself, by any name: "what can this bot do", "how does role-diff work".
_add(SELF, "bot", "chatbot", "this bot", "the bot", "role diff", "roldiff", "roles diff", "roledif")
# Greetings and forms of address as people write them in other languages
# or Englishes ("hola", "namaste", "hello sir"), and thanks ("gracias",
# "valeu"): they say nothing of what is asked, and read as English they are
# typos of words that do ("hola" -> "hold", "halo" -> "half", "valeu" -> "value").
GREETINGS_ELSEWHERE = tuple(
    "hola halo ola bonjour salut ciao namaste namaskar merhaba salam salaam assalamualaikum hej hei moin servus"
    " hii hiii hlo helo heyy heyyy sir madam maam mam bhai".split()
)
THANKS_ELSEWHERE = (
    *"gracias obrigado obrigada danke merci grazie shukriya dhanyavaad dhanyavad valeu arigato asante".split(),
    *"thnx thanx tysm".split(),
    "terima kasih",
)
# ... known words, never what a typo is read as ("moon" is not "moin", "man" not "mam")
NOT_TYPO_TARGETS = frozenset(w for p in (*GREETINGS_ELSEWHERE, *THANKS_ELSEWHERE, "dear", "kindly") for w in p.split())
_add(
    "",
    "btw",
    "pls",
    "plz",
    "please",
    "thx",
    "thanks",
    "thank you",
    "ty",
    "lol",
    "imo",
    "imho",
    "tbh",
    "honestly",
    "to be honest",
    "fyi",
    "hey",
    "hi",
    "hello",
    "yo",
    "guys",
    "folks",
    "y all",
    "yall",
    # How people talk to a bot: they say nothing about what is asked.
    "tldr",
    "tl dr",
    "eli5",
    "eli 5",
    "explain like im 5",
    "explain like im five",
    "explain like i m 5",
    "explain like i m five",
    "like im 5",
    "like im five",
    "quick question",
    "quick q",
    "real quick",
    "sup",
    "hiya",
    "heya",
    "howdy",
    "good morning",
    "good afternoon",
    "good evening",
    "greetings",
    "dear",  # "dear bot, ..." (read as a typo, "deal")
    "bro",
    "dude",
    "mate",
    "asking for a friend",
    *GREETINGS_ELSEWHERE,
    *THANKS_ELSEWHERE,
    "kindly",  # "kindly tell me ...": please
    # acknowledgements: a message of nothing else is not a question
    "makes sense",
    "make sense",
    "that makes sense",
    "got it",
    "gotcha",
    "i see",
    "fair enough",
    "never mind",
    "nevermind",
    "nvm",
    "understood",
    "noted",
    # a correction of the last question: what follows is the question
    "no i meant",
    "no i mean",
    "i meant",
    "sorry i meant",
    "in plain english",
    "in simple terms",
    "in simple words",
    "in plain words",
    "in plain terms",
    "simply put",
    "like i m five",
    "like i m 5",
    "in layman terms",
    "in laymans terms",
    "in a nutshell",
    # asking to go on about a part of the last answer ("go deeper on the monitoring bit")
    "go deeper",
    "dig deeper",
    "go into more detail",
    "in more depth",
    "elaborate on",
    "expand on",
    "say more about",
    "zoom in on",
    # how long the answer should be: the bot's answers are chat-sized anyway
    "in one sentence",
    "in a sentence",
    "in one line",
    "in a few words",
    "in few words",
    "in one word",
    "in short",
    "briefly",
    "short version",
    "one liner",
    *(
        f"in {n} {unit}"
        for n in ("1", "2", "3", "4", "5", "one", "two", "three", "four", "five", "a couple of", "a couple")
        for unit in ("line", "lines", "sentence", "sentences", "word", "words", "bullets", "points")
    ),
    "quick list",
    "wise",  # "tools-wise", "pay-wise"
    # chat spellings of question words, and tails that ask for a yes or no
    "gimme",
    "lemme",
    # ... and chat spellings of everyday words ("abt", "bc", "shud", "dunno")
    "abt",
    "bc",
    "cuz",
    "coz",
    "b4",
    "dis",
    "k",
    "kk",
    "smth",
    "sth",
    "yea",
    "yeah",
    "nah",
    "hw",
    "wht",
    "wats",
    "howz",
    "shud",
    "wud",
    "cud",
    "gotta",
    "sorta",
    "lotta",
    "dunno",
    "thru",
    "idk",
    "ngl",
    "fr",
    "tho",
    "rn",
    "right now",
    "wbu",
    "hbu",
    "lmk",
    "bout",
    "w",  # "w/": with
    "n",  # "latency n throughput"
    "wat",
    "wut",
    "etc",
    "or nah",
    "yay or nay",
    "as a list",
    "in a list",
    "in bullet points",
    "bullet points",
    "in bullets",
)

# Every word a phrase is built from ("scientist", "learning"): typo
# correction must be able to reach them.
PHRASE_WORDS = frozenset(w for p in PHRASES for w in p.split())

# Each phrase's first word, and the phrases' lengths in words from it, longest
# first: a phrase is found by looking up the words from each word on, which
# reads a long message in a few microseconds a word (one regular expression
# alternating over every phrase took ~130 µs on a 40-word post).
_PHRASE_LENGTHS: dict[str, tuple[int, ...]] = {}
for _phrase in PHRASES:
    _first = _phrase.split(" ", 1)[0]
    _PHRASE_LENGTHS[_first] = tuple(sorted({*_PHRASE_LENGTHS.get(_first, ()), _phrase.count(" ") + 1}, reverse=True))


def replace_phrases(text: str) -> str:
    """Each phrase of `text` (words separated by single spaces, as `fold`
    leaves them) rewritten to its token, the longest phrase from a word
    first, scanning left to right."""
    words = text.split(" ")
    out: list[str] = []
    i, n = 0, len(words)
    while i < n:
        word = words[i]
        lengths = _PHRASE_LENGTHS.get(word)
        if lengths is not None:
            for size in lengths:
                if i + size <= n:
                    value = PHRASES.get(" ".join(words[i : i + size]) if size > 1 else word)
                    if value is not None:
                        out.append(value)
                        i += size
                        break
            else:
                out.append(word)
                i += 1
            continue
        out.append(word)
        i += 1
    return " ".join(out)


# Words that never decide what a question is about: question filler,
# pronouns, auxiliaries, the ordinary verbs of asking.
STOPWORDS = frozenset(
    """
a about above actually after again against all also am an and any anyone anybody are aren as ask asking at
be because been before being below between both but by can cant could couldn did didn do does doesn doing
dont down during each either else even ever every exactly explain explained few for from further get gets
getting give go goes going gonna got had has have having he her here hers him his how hows i id if im in
into is isn it its itll just kind kinda know let lets like ll me mean means might mine more most much must
my myself need no nor not now of off on once one only or other others our ours out over pretty quick
quickly rather re really s same say says see seem seems she should shouldn so some someone somebody
something sort still such summarize summarise sure t tell than that thats the their theirs them then there
theres these they thing things think this those though through to too two under understand until up us ve
very vs want wanna was wasn way we well were weren what whats when where wheres whether which while who
whos whom whose why will with within without won would wouldn yes yet you your youre d m o y ok okay
oh ah um uh hmm eh basically generally usually typically simply simple short brief briefly main mainly
real actual exact cheers anyone question questions answer wondering curious confused help
lately recently seriously specifically eventually properly literally technically totally whatever genuine
genuinely sorry bit thought said supposedly wildly ish anyway anyways somehow definitely probably maybe perhaps
biggest fundamental primary largest list
""".split()
)
# "answer", "questions" and "help" are stop words for matching; the `about`
# entry is found through the bot's name and what it is asked about.

# Frequent English words that do occur in knowledge questions but say little
# on their own about data roles; they count for matching but are not enough
# to make a question in scope.
GENERIC = frozenset(
    """
difference job jobs work works working role roles day days week weeks time times people person company
companies team teams good better best bad big small large new old first last start starting become
becoming learn learning use using used make makes making take takes build builds building thing need
needs needed look looks looking typical typically daily life career careers field fields title titles
different same similar compare comparison overlap idea ideas example examples way ways part parts
year years money get pick choose choosing choice decide deciding option best right wrong move moving
switch switching change changing go going come coming leave stay one two three both each which who
responsible responsibility responsibilities focus focused main core key general work done end ending
begin beginning step steps process project projects business businesses product products service
services system systems data model models code coding skill skills tool tools level levels high low
more less most least average spend spent hour hours future trend trends market demand worth worthwhile
difficult hard easy easier harder fun enjoy like love hate prefer interest interested interesting
describe description definition define defined meaning mean means real word words term terms name names
kind kinds type types sort sorts lot lots many much should shall
salary income ai made built created create creator programmed
employ employs employer employed employee boss computer human robot
normal common usual unusual fine true false fair realistic possible impossible likely unlikely rare weird
standard reasonable expected mistake
""".split()
)
# The second group above are everyday words the knowledge also uses: "what's
# my salary" or "are you a bot" is small talk until a role is named.


# Everyday words among those that name a topic once a conversation is about
# the roles: "and how much do they make?" (salary), "what tools do they use?".
# A follow-up naming one of them borrows the previous turn's roles; alone, they
# stay generic ("what's my salary" is small talk).
TOPIC_GENERIC = frozenset(
    """
salary income money skill skills tool tools title titles career careers demand market future daily typical
day week responsibility responsibilities responsible code coding example examples learn become switch
move moving choose pick difference compare comparison overlap define description worth
""".split()
)


@lru_cache(maxsize=65536)  # every question's words are stemmed at least twice
def stem(word: str) -> str:
    """A deliberately light stemmer: plurals and the commonest verb endings;
    a final e goes too, so "become" meets "becoming" and "code" "coding"."""
    base = _stem(word)
    if len(base) >= 4 and base.endswith("e") and not base.endswith("ee") and not base.isdigit():
        return base[:-1]
    return base


def _stem(word: str) -> str:
    n = len(word)
    if n <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and n > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith(("ss", "us", "is", "ous")):
        return word
    if word.endswith("ing") and n > 5:
        base = word[:-3]
        if len(base) > 2 and base[-1] == base[-2] and base[-1] not in "ls":
            base = base[:-1]
        return base
    if word.endswith("ed") and n > 4 and not word.endswith("eed"):
        base = word[:-2]
        if len(base) > 2 and base[-1] == base[-2] and base[-1] not in "ls":
            base = base[:-1]
        return base
    if word.endswith("es") and n > 4 and word[-3] in "sxz":
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """NFKC + casefold + symbols + punctuation -> space-separated lowercase words.

    Cached: matching one message folds the same text several times (its
    tokens, whether it speaks to the bot, whether it asks)."""
    if text.isascii():  # the common case: nothing to normalise
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        # Strip accents so "résumé" and "resume" meet.
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    for pattern, repl in _SYMBOLS:
        text = pattern.sub(repl, text)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    text = _DIGIT_SPLIT.sub(" ", text)
    return " ".join(text.split())


WordFix = Callable[[str], str]


# The bot addressed by name ("hey bot, ...", "@role-diff ...", "..., bot?"),
# and a greeting that opens a message ("morning, ..."), are vocatives: they
# say who is asked, not what.
_TIMES_OF_DAY = ("morning", "afternoon", "evening")
_DAY_GREETING = rf"(?:good )?(?:{'|'.join(_TIMES_OF_DAY)})"
_VOCATIVE = re.compile(
    r"^(?:(?:hey|heya|hi|hiya|hello|howdy|yo|sup|ok|okay|oi|dear|so|um|ey|greetings"
    rf"|{'|'.join(GREETINGS_ELSEWHERE)}|{_DAY_GREETING})\s+)*"
    r"(?:role\s?diff|roldiff|bot|chatbot)(?:\s+|$)"
    rf"|^{_DAY_GREETING}(?: all| everyone| team| folks)?(?=\s)"  # "morning, what does ..."
    r"|(?<!\bthis)(?<!\bthe)(?<!\ba)(?<!\byour)(?<!\bmy)\s+(?:role\s?diff|bot|chatbot)$"
)
# What a question asks for, said with words that alone are generic: "how
# much do they make", "who gets paid more", "which one pays better" ask
# about pay, and a comparison of pay between the two roles.
_INTENTS = [
    (
        re.compile(r"\bhow much (?:\w+ ){0,6}?(?:make|makes|making|earns?|earning|gets? paid|paid|pays?)\b"),
        " salary ",
    ),
    (
        re.compile(
            r"\b(?:who|which(?: one| role| job| career| path)?) (?:\w+ ){0,2}?"
            r"(?:makes?|earns?|gets? paid|is paid|pays?|paid) (?:more|better|best|most|higher|less|the most)\b"
        ),
        " salary datascientist mlengineer ",
    ),
    (re.compile(r"\b(?:better|higher|best|more|well) paid\b|\bpays? (?:more|better|best)\b"), " salary "),
    (re.compile(r"\bmake (?:more|less|the most) money\b"), " salary "),
    # "what's the going rate in NYC", "what would an MLE cost us", "how much would they cost"
    (
        re.compile(
            r"\bgoing rates?\b|\b(?:they|that person|this person|such a person|one|a hire|hiring (?:\w+ ){0,2}?"
            # ("an ml engineer" reaches here as "ai ml engineer", a role's name one letter off)
            r"|(?:an?|ai) (?:mle|ml engineer|machine learning engineer|data scientist|ds))"
            r" (?:\w+ )?cost\b(?! (?:of|to|per)\b)"
        ),
        " salary ",
    ),
    # "what would that person even be called?", "what do they call the people who build models?"
    (
        re.compile(
            # (not the asker's or the bot's own name: "what do I call you?")
            r"\bwhat (?:would|do|does|did|is|are|should|will|s) (?:(?!(?:i|im|me|you|u|your|my)\b)\w+ ){0,4}?"
            r"(?:be )?called\b"
            r"|\bwhat (?:do|would|should|does) (?:they|you|companies|people|we|i|it) (?:\w+ )?call\b"
            r"(?! (?:me|you|u|him|her|us|myself|yourself)\b)"
        ),
        " titles ",
    ),
    # "what does a DS do that an MLE doesn't", "so what exactly a data scientist does that MLE does not":
    # what one does and the other does not (what one *needs* that the other does not is skills)
    (
        re.compile(r"\b(?:do|does) that (?:\w+ ){1,4}?(?:doesnt|dont|does not|do not|cant|cannot|wont)\b"),
        " difference ",
    ),
]


# "Should I become a data scientist or an ML engineer?", "am I better suited
# to DS or MLE?", "DS or MLE, which is right for me?": a choice between the
# roles, whatever the verb (seen on the canonical role tokens).
_ROLE_TOKEN = r"(?:datascientist|mlengineer)"  # a role's canonical token, in a pattern over canonical words
_ROLE = rf"(?:a |an )?{_ROLE_TOKEN}"
_PICK = r"(?:pick|choose|recommend|go for|go with)"  # the verbs of a pick
_CHOICE = re.compile(
    r"\b(?:should|shall|do|would) (?:i|we) (?:rather )?(?:be|become|go for|go into|pursue|choose|pick|aim for|target"
    r"|apply for|start as|get into|study|do|go|try|focus on|specialize in|specialise in) "
    rf"(?:\w+ ){{0,2}}?{_ROLE} (?:or|vs) "
    rf"|\bam i (?:\w+ ){{0,2}}?(?:suited|cut out|fit|better) (?:for|to be|to) {_ROLE} (?:or|vs) "
    # "am I more of a DS person or an MLE person?"
    rf"|\b(?:i m|im|am i|i am) (?:more (?:of )?{_ROLE}|{_ROLE} (?:person|type)) (?:\w+ )?(?:or|vs) "
    rf"|{_ROLE} (?:or|vs) {_ROLE} (?:\w+ ){{0,3}}?(?:for me|right for|best for|better for|suits|fits)\b"
    # "ds or mle for a stats nerd", "DS or MLE for someone who hates meetings"
    rf"|{_ROLE} or {_ROLE} for (?:a|an|someone|somebody|people|me|my|us|introverts?|beginners?)\b"
    # "what would you pick if you were starting today, DS or MLE", "DS or MLE, which would you go for"
    rf"|\b(?:(?:would|should|do|could) (?:you|i|we) (?:\w+ )?|(?:you|i|we) (?:had|have|got) to ){_PICK}\b"
    rf"(?: \w+){{0,8}} {_ROLE} (?:or|vs) {_ROLE}\b"
    rf"|\b{_ROLE} (?:or|vs) {_ROLE} (?:\w+ ){{0,3}}(?:would|should) (?:you|i|we) (?:\w+ )?{_PICK}\b"
)
# "which one is chiller, DS or MLE", "is MLE harder than DS?": how it is to
# do the job, a choice when a role is named
_HOW_IT_IS = re.compile(
    r"\b(?:harder|easier|chiller|tougher|more (?:fun|chill|stressful|relaxed|rewarding|enjoyable|difficult|demanding"
    r"|challenging|boring|creative)|less (?:stressful|demanding|boring))\b"
)
# "I got two offers, DS at a bank and MLE at a startup": a choice, when a
# role is named
_OFFERS = re.compile(r"\b(?:two|2|both|multiple|competing) (?:job )?offers\b|\boffers? (?:from|for) both\b")
_NAMES_ROLE = re.compile(rf"\b{_ROLE_TOKEN}\b")
# "I love presenting and hate devops. DS or MLE?", "I hate uncertainty, does
# that make me more MLE than DS?": a liking told, then the two roles set
# against each other, is a choice
_LIKING = re.compile(
    r"\bi (?:really |honestly |actually |just |also |kind of |kinda )?"
    r"(?:like|love|enjoy|hate|prefer|dislike|dread|cant stand)\b"
    r"|\b(?:i m|im|i am) (?:really |pretty |quite )?(?:good at|better at|into|a fan of)\b"
)
_ROLE_AGAINST_ROLE = re.compile(rf"\b{_ROLE} (?:or|vs) {_ROLE}\b|\bmore (?:of )?{_ROLE} than {_ROLE}\b")
# "Which should I pick then?", "which role is right for me?", "which career
# would you recommend?": a choice (seen before role phrases are rewritten).
_WHICH_CHOICE = re.compile(
    r"\bwhich (?:one |role |job |career |path |of (?:them|the two|these|those|the roles|the two roles) )?"
    r"(?:(?:should|would|do|shall|could) (?:i|you|we) (?:\w+ )?(?:pick|choose|go for|go with|take|recommend|pursue"
    r"|study|apply for|aim for|get into|go into)\b"
    r"|(?:is|would be|s) (?:\w+ ){0,2}?(?:right|best|better|suitable|realistic|a better fit|a good fit)"
    r" for (?:me|my|someone)\b"
    r"|(?:suits|fits) (?:me|my)\b"
    r"|(?:is|would be|s) (?:the )?(?:right|best|better|smarter|safer) (?:choice|fit|option|pick|bet)\b"
    # "so which role is better?", "which one is better then" (and nothing more)
    r"|(?:is|would be|s) (?:the )?(?:better|best)(?: overall| in general| then| really)?$)"
    r"|\bwhich(?: one| role| job| career| path)?(?: then)?$"
)


# "DS -> MLE", "from data science to ML engineering", "MLE into DS": a move
# from one role to the other.
_MOVE = re.compile(
    r"\b(?:datascientist (?:\w+ )?(?:to|into|2) (?:a |an |the )?mlengineer|mlengineer (?:\w+ )?(?:to|into|2) "
    r"(?:a |an |the )?datascientist)\b"
    # a next step: "and then from there to MLE?", "after that could I become an MLE"
    r"|\b(?:from there|then|after that|afterwards|next)(?: on)? (?:(?:could|can|would) i )?(?:to|into|become|move to)"
    rf" (?:a |an |the )?{_ROLE_TOKEN}\b"
)


# "can a data scientist with no CS degree become an ML engineer?", "as an MLE
# with 5 years, could I move into data science?": one role becoming the other
_MOVE_BETWEEN = re.compile(
    r"\b(?P<a>datascientist|mlengineer) (?:\w+ ){0,6}?(?:to )?(?:become|becoming|move into|moving into|move to"
    r"|moving to|switch to|switching to|switch into|transition to|transition into|transitioning to|transitioning into"
    r"|pivot to|pivot into|go into) (?:a |an |the )?(?P<b>datascientist|mlengineer)\b"
)


def _moves(folded: str) -> bool:
    if _MOVE.search(folded):
        return True
    between = _MOVE_BETWEEN.search(folded)
    return between is not None and between["a"] != between["b"]


def strip_vocative(folded: str) -> str:
    """Folded text without the bot's name used to address it."""
    if "bot" not in folded and "diff" not in folded and not folded.startswith(_OPENING_GREETINGS):
        return folded.strip()  # no name and no opening greeting: nothing to strip (the common case)
    return _VOCATIVE.sub(" ", folded).strip()


# what a text must start with, naming no bot, for _VOCATIVE to strip anything
_OPENING_GREETINGS = ("good ", *_TIMES_OF_DAY)


# A role's name written out with one letter wrong where the wrong word is
# itself a word ("machine leaning engineer", "date scientist"): the word fixer
# leaves real words alone, so the name is matched as a whole, a few edits away.
_ROLE_NAMES: dict[int, tuple[str, ...]] = {}
for _name, _token in PHRASES.items():
    if " " in _name and len(_name) >= 10 and _token in ("datascientist", "mlengineer"):
        _ROLE_NAMES.setdefault(_name.count(" ") + 1, ())
        _ROLE_NAMES[_name.count(" ") + 1] += (_name,)


# A role's name (ten letters or more) may be this many edits off: one more
# from each length here ("ml engiber" is 2 off "ml engineer", "machne lerning
# enginer" 3 off "machine learning engineer"); each word keeps its first letter.
ROLE_NAME_EDITS = 1
ROLE_NAME_EDIT_LENGTHS = (10, 20)


# Each word of a name keeps its first letter: windows of other initials are skipped unscored.
_ROLE_NAME_INITIALS = frozenset(tuple(w[0] for w in n.split()) for names in _ROLE_NAMES.values() for n in names)
_ROLE_NAME_FIRSTS = {size: frozenset(n[0] for n in names) for size, names in _ROLE_NAMES.items()}


def _fix_role_names(words: list[str]) -> list[str]:
    out = list(words)
    # a repair keeps each word's first letter, so the initials never change
    initials = [w[:1] for w in out]
    for size, names in sorted(_ROLE_NAMES.items(), reverse=True):
        firsts = _ROLE_NAME_FIRSTS[size]
        i = 0
        while i + size <= len(out):
            if initials[i] not in firsts or tuple(initials[i : i + size]) not in _ROLE_NAME_INITIALS:
                i += 1
                continue
            window = out[i : i + size]
            joined = " ".join(window)
            if joined not in PHRASES and all(len(w) > 1 for w in window):
                edits = ROLE_NAME_EDITS + sum(len(joined) >= n for n in ROLE_NAME_EDIT_LENGTHS)
                hit = process.extractOne(joined, names, scorer=Levenshtein.distance, score_cutoff=edits)
                if hit is not None and all(
                    a[0] == b[0] and not (b.startswith(a) and len(b) - len(a) >= 2)  # "engine" is no typo
                    for a, b in zip(window, hit[0].split(), strict=True)
                ):
                    out[i : i + size] = hit[0].split()
                    i += size
                    continue
            i += 1
    return out


def canonical_words(text: str, fix: WordFix | None = None) -> list[str]:
    """All words, with role names and variants rewritten to canonical tokens.

    `fix` (the engine's typo corrector) sees each folded word before phrases
    are recognised, so "data scinetist" still becomes one role token.
    """
    folded = fold(text)
    if fix is not None:
        folded = " ".join(_fix_role_names([fix(w) for w in folded.split()]))
    folded = strip_vocative(folded)
    for pattern, intent in _INTENTS:  # the words stay; what they ask is added
        folded = pattern.sub(lambda m, intent=intent: f"{m.group(0)} {intent}", folded)
    which_choice = _WHICH_CHOICE.search(folded) is not None
    folded = replace_phrases(folded)
    asks_choice = _OFFERS.search(folded) or _HOW_IT_IS.search(folded)
    liked = _LIKING.search(folded) is not None and _ROLE_AGAINST_ROLE.search(folded) is not None
    if which_choice or liked or _CHOICE.search(folded) or (asks_choice and _NAMES_ROLE.search(folded)):
        folded += " choose"
    if _moves(folded):
        folded += " switch"
    return [w if w in _CANONICAL else _canonical_stem(stem(w)) for w in folded.split()]


_CANONICAL = frozenset(w for v in PHRASES.values() for w in v.split())
# A canonical token is not stemmed, so a word stemming as it does is that
# token: "experiences" and "experience", "kubernets" and "kubernetes". So is
# a word stemming as a one-word phrase does ("metaphore" as "metaphor").
_STEM_TO_CANONICAL = {stem(w): w for w in _CANONICAL if stem(w) != w}


def _phrase_stems() -> dict[str, str]:
    found: dict[str, set[str]] = {}
    for key, value in PHRASES.items():
        if " " not in key and value and " " not in value and stem(key) != key:
            found.setdefault(stem(key), set()).add(value)
    return {s: v.pop() for s, v in found.items() if len(v) == 1 and s not in _STEM_TO_CANONICAL}


_STEM_TO_CANONICAL |= _phrase_stems()


def _canonical_stem(stemmed: str) -> str:
    return _STEM_TO_CANONICAL.get(stemmed, stemmed)


STEMMED_STOPWORDS = frozenset(stem(w) for w in STOPWORDS) | STOPWORDS
STEMMED_GENERIC = frozenset(stem(w) for w in GENERIC) | GENERIC
STEMMED_TOPIC_GENERIC = frozenset(stem(w) for w in TOPIC_GENERIC) | TOPIC_GENERIC

# The tokens that name the roles or their fields: a question holding one is
# about the domain whatever else it says.
ROLE_TOKENS = frozenset({"datascientist", "mlengineer", "mlops"})


def content_tokens(text: str, fix: WordFix | None = None) -> list[str]:
    """The tokens that carry meaning, in order, duplicates removed."""
    seen: dict[str, None] = {}
    for w in canonical_words(text, fix):
        # numbers ("3 years", "5-10 years") say how much, not what about
        if w and w not in STEMMED_STOPWORDS and w not in seen and not w.isdigit():
            seen[w] = None
    return list(seen)


_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|u|ur)\b")


def addresses_bot(text: str) -> bool:
    """Whether a question speaks to the bot ("who are you", "what can u do")."""
    return _SECOND_PERSON.search(fold(text)) is not None


_SELF_NAMES = re.compile(r"\b(?:(?:this|the) (?:bot|chatbot|thing)|role diff|roldiff)\b")
_CHAT_SPELLING = {"u": "you", "ur": "your", "r": "are", "info": "information", "ya": "you"}


def self_words(text: str, fix: WordFix | None = None) -> list[str]:
    """The words of a question put to the bot, every word kept, the bot's
    names and chat spellings made one ("what can this bot do" = "what can
    u do" = "what can you do")."""
    folded = fold(text)
    if fix is not None:
        folded = " ".join(fix(w) for w in folded.split())
    folded = _SELF_NAMES.sub("you", strip_vocative(folded))
    return [_CHAT_SPELLING.get(w, w) for w in folded.split()]


def token_sort_key(text: str) -> str:
    """A text's whitespace-separated tokens sorted and joined: rapidfuzz's
    token_sort_ratio of two texts is the plain ratio of their keys, so a
    text compared often is sorted once."""
    return " ".join(sorted(text.split()))


def question_key(text: str) -> str:
    """What makes two phrasings 'the same question' (used by validation): the
    same content words in the same order, whatever the filler and spelling."""
    return " ".join(content_tokens(text))
