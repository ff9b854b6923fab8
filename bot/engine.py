"""The answer engine: a question in, an Answer or a Decline out.

The index is built once, when the knowledge loads; answering reads it and
never writes, so one Engine serves any number of concurrent requests.

How a question is matched (precision first: a wrong answer costs more than a
decline with suggestions):

1. Clean it (cut, markup stripped) and reduce it to content tokens: role names
   and their shorthands collapse to one token each (DS, data sci -> data
   scientist; MLE, ML eng -> ML engineer); the bot addressed by name, greetings,
   "pls", "TL;DR", "ELI5" and question filler go; what is asked is kept even when
   said with everyday words ("how much do they make" -> salary, "DS -> MLE" ->
   switching, "should I be a DS or an MLE" -> choosing). Typos are corrected
   against the knowledge's words.
2. Candidate phrasings (those sharing the question's rarest words, at most
   `candidate_cap`) are scored with rapidfuzz (token-set and token-sort
   similarity), the best phrasing per entry; blended with the IDF share of the
   question's words the entry is asked with (a word counts by how many of the
   entry's phrasings use it, so one incidental word cannot carry a match) and
   the IDF cosine with the closest phrasing, and a naive-Bayes vote over all
   the entry's phrasings (how likely the question's words are drawn from them,
   relative to the likeliest entry: a word counts by how well it tells entries
   apart, which carries long and misspelt questions that no single phrasing is
   close to). A long message's question sentences are scored too and blended
   in: the ask weighs as much as the story.
3. Gates keep filler from carrying a match: the question must be *about*
   something the knowledge covers (a role name, or a topic word such as
   "mlops" or "analogy"), most of its words must be known, and a question that
   names no role and does not ask who does something ("how do I version my code
   with git", "what is feature engineering") needs a close phrasing (or every
   part of the score agreeing: `no_role_final`). Questions
   to the bot itself ("who are you", "what can you do") are matched word for
   word against the `about` entry's phrasings, so small talk ("how are you") is
   declined.
4. In a conversation, a follow-up that names no role or no topic borrows from
   the previous turn (`follow_up_tokens`); context completes a question, it never
   turns an unrelated one into an answer.
5. A question of several parts gets the strongest entry, with the entry for the
   other part first among the related ones.

Every tuning knob is in `Thresholds`; `role-diff explain` prints each component.
"""

from __future__ import annotations

import gc
import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import NamedTuple

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Indel

from .context import Turn
from .followups import Candidate, FollowUpModel, default_model, interactions
from .knowledge import Entry, KnowledgeBase
from .occupations import names_occupation
from .places import place_words
from .reply import plain as plain_markup
from .text import (
    GENERIC,
    NOT_TYPO_TARGETS,
    PHRASE_WORDS,
    PHRASES,
    ROLE_TOKENS,
    SELF,
    STEMMED_GENERIC,
    STEMMED_TOPIC_GENERIC,
    STOPWORDS,
    addresses_bot,
    clean_input,
    content_tokens,
    fold,
    self_words,
    stem,
    strip_vocative,
    token_sort_key,
)
from .topics import TopicModel
from .topics import features as topic_features
from .words import english_words


@dataclass(frozen=True)
class Thresholds:
    """Every tuning knob of the matcher, in one place (tuned on ../shared/eval)."""

    answer: float = 62.0  # final score needed to answer
    answer_without_role: float = 68.0  # ... when the question names no role
    suggest: float = 36.0  # final score for a "did you mean" suggestion
    coverage_with_role: float = 0.5  # share of query words the knowledge knows
    coverage_without_role: float = 0.7
    typo_min_len: int = 4  # shorter words are never corrected
    typo_long_len: int = 8  # from this length on a word may take more edits
    typo_edits_short: int = 1
    typo_edits_long: int = 2
    places_keep_last: bool = True  # a follow-up naming only places ("what about london") asks the last question there
    short_role_names: bool = True  # in a follow-up, "the engineers" / "the scientists" are the two roles
    typo_swap_short: bool = True  # a three-letter non-word with its last two letters swapped is corrected ("hwo")
    typo_extend_short: bool = True  # ... or a letter short of a four-letter word ("ful", "dta")
    typo_split: bool = True  # a word that is two known words run together is split ("whatsthe")
    typo_split_part: int = 2  # ... each at least this long
    typo_role_len: int = 7  # shorter real words are never "corrected" into a role's shorthand ("miles" is not "mles")
    runner_up_margin: float = 12.0
    # final = weighted mean of fuzz (best phrasing), overlap (share of the
    # question's words the entry knows) and cosine (best phrasing, IDF).
    fuzz_weight: float = 0.6
    overlap_weight: float = 0.45
    cosine_weight: float = 0.2
    unknown_weight: float = 1.0  # IDF factor for a word the knowledge does not know
    generic_weight: float = 0.6  # IDF factor for generic English words
    body_weight: float = 0.5  # an answer's own words, relative to its questions' words
    candidate_cap: int = 100  # most phrasings scored per query (those sharing its rarest words)
    candidate_cap_off_topic: int = 50  # ... when it names neither a role nor a topic (scored for suggestions only)
    candidate_cap_view: int = 40  # ... for a question sentence of a long message (a view)
    scored_entries: int = 20  # entries (those with the closest phrasings) given a full score; the rest are not
    fuzz_cutoff: float = 30.0  # token-set similarity below which a phrasing is not scored
    set_weight: float = 0.5  # fuzz = set_weight x token-set + (1 - set_weight) x token-sort similarity
    idf_smoothing: float = 0.5  # idf = log((entries + 1) / (entries with the word + idf_smoothing)) + idf_floor
    idf_floor: float = 0.1
    support_tau: float = 1.5  # overlap counts a word by 1 - exp(-phrasings of the entry using it / tau); 0: fully
    max_suggestions: int = 3
    dimension_fuzz: float = 85.0  # "compare <dimension>": similarity to a dimension's name that names it
    dimension_words: float = 90.0  # ... the score when every word asked is one of the name's
    # A question naming no role with a single topic word ("what sorts of
    # tasks", "that might be the case") is small talk unless it is nearly
    # a question the knowledge holds ("explain it with an analogy").
    lone_word_fuzz: float = 85.0
    role_only_fuzz: float = 88.0  # fuzz that answers a question of role names alone
    role_only_unknown: int = 0  # ... with at most this many words the knowledge does not know
    no_role_fuzz: float = 86.0  # fuzz needed when a question names no role and does not ask who
    # A word the knowledge is never asked with (only in answers, or not at
    # all: "biggest", "roughly") counts this much of its IDF in the share of
    # the question's words an entry knows: rare in the knowledge is not
    # rare in English.
    unasked_weight: float = 0.5
    holds_unknown: int = 1  # "is that true in <place> too?": at most this many unknown words
    going_on_with_last: bool = True  # ... or, with the last question's words, the last entry still wins
    going_on_last_answer: float = 65.0  # ... at this score
    # A follow-up given only the conversation's roles ("what skills would I be
    # missing?") must score this for its entry without them, and (as one going
    # on about the last topic) be asked: a question, a cue, a correction.
    borrow_own_score: float = 55.0
    follow_up_asks: bool = True
    # ... or typed as a search query: this many words at most, besides roles
    # the entries' keywords ("kafka", "pager duty", "mle monitoring"); 0: never
    keyword_query_words: int = 3
    level_keeps_last: bool = True  # "and for juniors?" after an answer: that answer, at that level
    same_for_role: bool = True  # "and for DS?" keeps the last entry when it is not about one role and still answers
    who_lone_answer: float = 80.0  # a who-question naming no role, on one topic word, answers from this score
    how_to_fuzz: float = 95.0  # "how do I / how to ...", naming no role, answers only from this fuzz
    no_role_final: float = 88.0  # ... or this final score (fuzz, overlap, cosine and vote together)
    runners_up: int = 3  # next-best entries looked at for "related"
    second_part_depth: int = 8  # entries looked at for the second part of a question
    second_part_share: float = 0.6  # IDF share of the left-over topic words it must know
    view_weight: float = 0.3  # a long message's question sentences, against the whole message
    follow_up_max_words: int = 3  # a message of a role name and this few words is a follow-up
    follow_up_max_known_words: int = 10  # ... and one naming a topic, no role, only known words, up to this many
    self_fuzz: float = 75.0  # word-for-word match that answers a question about the bot itself
    # A long message scores lower (its story dilutes every entry): naming a
    # role, it is answered at a lower score when its best entry leads every
    # entry of another topic by a clear margin.
    long_words: int = 10
    long_answer: float = 45.0
    long_margin: float = 6.0
    long_ask: float = 85.0  # ... or its question sentence's best entry, of the same topic, scores this
    # An entry is about one role when at least this share of its phrasings
    # naming a role name that one alone (and none the other alone).
    own_role_share: float = 0.75
    # A follow-up declined alone is answered, at this score, by the entry it
    # gets with the conversation's roles when that entry is of the previous
    # turn's topic ("is Scala worth learning?" after the tools answer).
    continuing_answer: float = 55.0
    # A naive-Bayes vote over all the words of every phrasing (and, for less,
    # the answer's): which of the scored entries a question's words are most
    # likely drawn from. Fuzzy matching weighs every word of the closest
    # phrasing; this weighs each word by how much it tells the entries apart,
    # across all their phrasings (long and misspelt questions keep their ask).
    nb_weight: float = 0.2  # its share of the final score, beside fuzz, overlap and cosine
    nb_alpha: float = 0.1  # additive smoothing of word counts
    nb_body: float = 0.3  # an answer word counts this much of a phrasing's
    nb_scale: float = 1.0  # vote = exp((log-likelihood - the best one's) / words x scale) over the scored entries
    # A follow-up's answer is chosen among its readings' best entries by a
    # learned model (bot/followups.py): the likeliest answers from this
    # probability; below it, the follow-up is declined with them as suggestions.
    follow_up_model: bool = True
    follow_up_pick: float = 0.4
    # A second opinion on the topic (bot/topics.py), asked once the rules
    # have found a message about the domain (`Engine.second_opinion`): a
    # message they declined for a low score is answered when the topic model
    # is `topic_answer` sure of its topic (a single question naming no role
    # only from `topic_answer_no_role`, above 1: never), and an answer is
    # moved to the model's topic when it is `topic_overrule` sure of another;
    # the last answer given again ("how long does that usually take?" after
    # tools, "is that in europe?" after a PhD question) only when it is
    # `topic_overrule_last` sure and the message read alone agrees. A
    # follow-up the rules found off-topic or made of words the knowledge does
    # not know ("before or after tax", "remote jobs?") is answered from
    # `topic_answer_off_topic`, the checks of the message read alone and
    # without roles still applying. A decline the model reads as asked of
    # the bot itself ("is your info current") gets the entry about the bot
    # from `topic_answer_about` (never an answer moved to it). The answer's
    # score is then the probability x 100. An answer the model reads as
    # nothing of ours (`none`) at least `topic_veto` sure is declined, with
    # the entry offered.
    topic_model: bool = True
    topic_answer: float = 0.4
    topic_answer_no_role: float = 1.01
    topic_overrule: float = 0.4
    topic_overrule_last: float = 0.5
    topic_answer_off_topic: float = 0.6
    topic_answer_about: float = 0.9
    topic_veto: float = 0.7
    topic_veto_fuzz: float = 95.0  # ... not when the message is one of the entry's phrasings nearly word for word
    # A follow-up about another occupation ("and nurses?") is declined
    # (`Engine.about_another_occupation`).
    other_occupations: bool = True


DEFAULT_THRESHOLDS = Thresholds()
# A follow-up the rules declined for these reasons may still be the
# conversation's (`Engine.second_opinion`).
_RULED_OFF_TOPIC = ("off-topic", "unknown-words")
# Declines the topic model may answer with the entry about the bot, and only with it.
_MAY_ASK_ABOUT = ("off-topic", "unknown-words", "empty", "small-talk")
# Per thread, the analyses worked out while answering one message (see
# `_memoised`); None between questions.
_MEMO = threading.local()


def _memoised(key: object, work: Callable[[], Analysis]) -> Analysis:
    """An analysis worked out once within one `Engine.match`: a follow-up's
    rules and its model, and the topic model's pick of an entry, read the
    message the same ways. Outside a match, worked out each time."""
    memo: dict[object, Analysis] | None = getattr(_MEMO, "analyses", None)
    if memo is None:
        return work()
    found = memo.get(key)
    if found is None:
        found = memo[key] = work()
    return found


# Words of the questions asked of the bot, as characters (Index.self_chars),
# from the supplementary private use planes; a message's words that no such
# phrasing has get the characters after them.
SELF_CHAR_BASE = 0xF0000


def settle_heap() -> None:
    """For a long-running process, once its engine is built: collect, then
    move everything allocated so far (the knowledge and its index: hundreds of
    thousands of objects at scale) out of the cyclic garbage collector's
    scans, whose full passes over a large index otherwise land as p99 spikes
    on whichever question triggers them. Unfreezes first, so an engine
    replaced by a reload is collected normally."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


TYPO_MEMO_SIZE = 50_000  # typo corrections remembered per engine
ABOUT_TOPIC = "about"  # the topic of entries about the bot itself
ANALOGY_TOPIC = "analogy"  # the topic of the sources' analogies, and its token
PERSON_ROLES = frozenset({"datascientist", "mlengineer"})  # the two roles, as tokens
# One-word spellings of a role name ("mles", "dses", "datasci"): typo targets only for long words.
ROLE_SHORTHANDS = frozenset(k for k, v in PHRASES.items() if " " not in k and set(v.split()) & ROLE_TOKENS)
_SENTENCE_END = re.compile(r"(?<=[.?!;])\s+|\n+")
# A clause that asks after a comma or colon, within a sentence: "I run a bakery,
# how much does a data scientist earn?" (a view of its own, see `_ask_views`)
_ASKING_CLAUSE = re.compile(
    r"(?<=[,:])\s+(?=(?:what|which|who|how|why|when|where|is|are|do|does|can|could|should|would|will|am)\b)",
    re.IGNORECASE,
)
# A sentence that asks: it ends with "?" or starts like a question.
_QUESTION = re.compile(
    r"\?\s*$|^(?:what|which|who|whom|whose|how|why|when|where|is|are|do|does|did|can|could|should|would|will|am)\b",
    re.IGNORECASE,
)
# A follow-up may ask without a question mark: a correction ("no I meant
# ..."), a request ("explain ..."), a liking told ("I hate being on call"),
# in chat spelling ("whats replacing it", "wich ...")
_ASKS_TOO = re.compile(
    r"^(?:(?:ok|okay|so|sorry|hm|hmm|btw|also|last one|one more|and|but) )*"
    r"(?:what|whats|wats|wich|which|who|whos|how|hows|why|when|where|wheres|is|are|do|does|can|should|would|will"
    r"|no i mean|no i meant|i mean|i meant|explain|tell me more"
    r"|i (?:like|love|hate|prefer|enjoy|dislike|d rather|would rather))\b"
)


def _asks(cleaned: str) -> bool:
    """Whether a follow-up asks: a question, a follow-up's cue ("and ...",
    "what about ..."), or a correction, request or liking told."""
    if "?" in cleaned:
        return True
    said = " ".join(fold(cleaned).split())
    return (
        _QUESTION.search(said) is not None
        or _FOLLOW_UP_CUE.match(said) is not None
        or _ASKS_TOO.match(said) is not None
    )


# Where a message to the bot joins two questions ("who are you and who made you?").
_CLAUSES = re.compile(r"\s*(?:[?!;,.]|\band\b|\balso\b)\s*", re.IGNORECASE)
_ASKS_WHO = re.compile(r"\b(?:who|whos|whose|whom)\b")
_ASKS_WHO_OF_BOT = re.compile(r"\b(?:who|whos|whose|whom)(?: \w+){0,3} (?:you|your|u|ur)\b")
# "how do/can/should ...", asking how a thing is done
_HOW_MODAL = r"how (?:do|can|could|should|would|might)"
# "and", "so", "ok" ... before a follow-up's question
_LEAD = r"(?:(?:so|and|but|ok|okay|hmm) )*"
_HOW_TO = re.compile(
    r"^(?:(?:ok|okay|so|and|but|hmm|right|cool|also|now|then) )*"
    rf"(?:{_HOW_MODAL} (?:i|we|you|one)|how to|how is|how are"
    # ... and a task for the bot ("can you write me a github actions yaml")
    r"|(?:can|could|would|will) (?:you|u) (?:please |pls )?(?:write|make|build|fix|generate|create|code|draft|debug"
    r"|review|proofread|rewrite|translate|correct)"
    # ... or told outright ("ok then write me a cover letter")
    r"|(?:please |pls )?(?:write|draft|generate|make|create) me)\b"
)
# Everyday words that name a topic outright, even in a message without a cue.
_NAMED_TOPICS = frozenset(
    stem(w) for w in "salary income skills tools titles careers demand market responsibilities".split()
)
# A message that only asks to go on about the last answer ("why?", "how
# much?", "like what?", "got another one?", "longer please").
_GO_ON = re.compile(
    r"(?:(?:ok|okay|so|and|but|hmm|wait|really|sure|cool|right|interesting|hm|now|lol|can you|could you) )*"
    r"(?:why|y|why not|y not|why so|why is that|how so|how come|how much|how|like what|such as|what do you mean|meaning"
    r"|explain|elaborate|go on|tell me more|more|more please|longer|longer please|in more detail|more detail"
    r"|more details|details|another one|got another one|another|any other|any others|any other ones|anything else"
    r"|what else|then what|and then|really|seriously|is that so|how does that work|in what way|in practice"
    r"|like in practice|for example|what does that look like|what would that look like"
    # the last answer said another way: "tl;dr", "in one sentence?", "eli5"
    r"|by how much|(?:in )?(?:a|one|1|two|2|three|3|a few|few) (?:sentence|sentences|line|lines|words)"
    r"|tl dr|tldr|tl dr version|short version|shorter|shorter version|the short version|simpler|simpler version"
    r"|simple version|longer version|the long version|in simple terms|in simpler terms|in plain english"
    r"|in plain words|in layman s terms|in laymans terms|in a nutshell|summary|summari[sz]e(?: it| that)?"
    r"|sum (?:it|that) up|eli5|eli 5|(?:explain (?:it|that) )?like im (?:5|five)"
    # "examples?" asks for instances of what was just said ("got an example?"
    # asks for the worked one, the example entry)
    r"|examples|any examples|got examples|(?:can|could) you give (?:me )?(?:an example|examples)|for instance"
    r"|(?:how often|how long)(?: (?:does|would|will|is|should|can|do) (?:it|that|this)(?: usually| typically)?"
    r"(?: take| last| happen| be done| done)?)?)"
    r"(?: please| pls| plz| then| too| tho| though| exactly| specifically| in practice| tbh| lol| for me)?"
)
# The last question asked the other way round ("and the reverse?", "same
# question but for the other one", "what about the other role?", "vice versa?")
_OTHER_WAY = re.compile(
    r"(?:(?:ok|okay|so|and|but|hmm|now|what about|how about|same|same question|same thing|same again|ask|asked)"
    r" )*(?:but )?(?:for |with |of |in )?(?:the )?"
    r"(?:reverse|opposite|opposite direction|opposite way|other way|other way (?:round|around)|vice versa"
    r"|other (?:one|role|side|guy|guys|person|job|direction)|other)"
    r"(?: (?:one|role|side|way|direction))?(?: (?:then|too|please|pls|plz|though|tho))?"
)
# "the engineers", "and for the scientists?": in a conversation about the two
# roles, an engineer or a scientist said alone (after a word like these, or
# first) is the ML engineer or the data scientist; "data engineers",
# "research scientists" are other people.
_SHORT_ROLE = re.compile(r"(?:^|\b(?P<lead>\w+) )(?P<word>engineers?|scientists?)\b")
_SHORT_ROLE_LEADS = frozenset(
    "the a an and or for of to with by from than vs versus those these our your their both two other then about as"
    " like do does did are is were was".split()
)
_SHORT_ROLE_TOKENS = {stem("engineer"): "mlengineer", stem("scientist"): "datascientist"}  # by token
# Words that may stand around the places of a follow-up that names only
# places ("what about london", "is it the same in germany too?")
_PLACE_GLUE = frozenset(
    "and but so ok okay what whats how about same in for at then too specifically though tho only or as well vs"
    " versus compared to the is it there like".split()
)


def _only_places(words: list[str]) -> bool:
    """Whether a message's words name a place and nothing but `_PLACE_GLUE`."""
    at = place_words(words)
    return bool(at) and all(i in at or w in _PLACE_GLUE for i, w in enumerate(words))


# Seniority: "and for juniors?", "at senior level?" after the pay asks the
# last question of a level, not about the levels
_LEVELS = frozenset(
    form
    for w in "junior senior entry level principal staff lead mid graduate grad internship beginner fresh".split()
    for form in (w, stem(w), w + "s", stem(w + "s"))
)
_EVERYDAY = STEMMED_GENERIC - STEMMED_TOPIC_GENERIC  # generic words that name no topic
_LEVEL_LEAD = re.compile(r"^(?:(?:ok|okay|hm|hmm|right|cool|and|so) )+(?=and |at |for |what about |how about )")
# Whether the bot covers something ("can you answer questions about data
# engineers too?", "are you only about DS vs MLE?"): asked of the bot
_SCOPE = re.compile(
    r"\b(?:can|could|will|do) (?:you|u) (?:also )?(?:help (?:me )?(?:with|on)|answer|take|handle|cover|talk about)"
    r" (?:\w+ ){0,2}?questions? (?:about|on|regarding)\b"
    r"|\bcan i ask (?:you|u) (?:questions )?about\b|\bare (?:you|u) only (?:about|for)\b"
)
# The bot's own pick ("what would you do?", "would you do it?", "your
# advice?"): how to choose between the roles
_OPINION = re.compile(
    rf"{_LEAD}(?:what (?:would|do|should) you (?:do|pick|choose|recommend|suggest|go for|go with)"
    r"|(?:would|do|should) you (?:do|pick|choose|recommend|go for) (?:it|that|this|one)"
    r"|what would you advise|whats? your advice|your advice)"
    r"(?: in my shoes| in my place| if you were me| personally| then| honestly)?"
)
# What a word means ("what does senior even mean here?"): asked of the word
_MEANS = re.compile(r"\bwhat (?:does|do|is|s) (?:\w+ ){1,3}(?:mean|means|stand for)\b|\bmeaning of\b")
# "should they?", "do they really?", "will it?": a yes-or-no question of the
# last answer, with nothing of its own
_BARE_ASK = re.compile(
    rf"{_LEAD}(?:should|do|does|did|can|could|will|would|must|is|are|was|were) (?:they|it|that|this|he|she)"
    r"(?: (?:really|ever|always|usually|actually|still|too|though|even))*"
)
# Words that, in this bot, are about the two roles even when no role is
# named ("tell me the main difference", "got an example?", "what's the pay
# like?"): a question of these and everyday words alone asks about both.
_ROLE_ASKS = frozenset(
    form
    for w in "difference compare comparison example examples salary income skill skills tool tools choose pick"
    " switch overlap responsibilities responsibility demand analogy".split()
    for form in (w, stem(w))
)
_TELL_ME = re.compile(r"\b(?:tell|give|show|explain to|walk|remind) me\b")
_ASKERS_OWN = re.compile(r"\b(?:i|im|ive|id|me|my|mine|our|your)\b")
# The asker's own money ("what's my salary", "when can I expect to be paid"):
# a question of their pay slip, not of the roles
_OWN_MONEY = re.compile(
    r"\b(?:my|our) (?:\w+ )?(?:salary|pay|paycheck|paycheque|wage|wages|income|bonus|payday|taxes|tax|paid|balance"
    r"|account|savings|credit)\b"
    r"|\b(?:i|we) (?:last )?(?:got|go|was|were) paid\b|\bwhen (?:\w+ ){0,2}(?:i|we) (?:expect to )?(?:be|get) paid\b"
)
# Other occupations ("and how much do nurses make?", "software engineers?"):
# a question about them is not about the conversation's roles.
_OTHER_PEOPLE = frozenset(
    stem(w)
    for w in "engineer engineers analyst analysts developer developers programmer programmers architect architects"
    " researcher researchers manager managers designer designers consultant consultants".split()
)
# The tokens the text adds for a move between the roles or a choice of one
_MOVE_OR_CHOICE = frozenset({"switch", stem("choose")})
# Words by which a message refers back to the roles it followed.
_REFERS_BACK = frozenset("they them their theirs these those each both either he she his her".split())
# ... and by which it refers back to what was asked ("do DS need to learn it too?").
_REFERS_TO_TOPIC = frozenset("it its that this".split())
# ... and "one" as the thing asked about ("do DS need one too?"), not "which one"
_ONE = re.compile(
    r"(?<!\bwhich )(?<!\beach )(?<!\beither )(?<!\bany )(?<!\bno )(?<!\bthe )(?<!\bthis )(?<!\bthat )\bones?\b"
)
# A follow-up that only narrows the last question ("at senior level?", "in
# India specifically?", "for juniors?").
_FRAGMENT_LEAD = r"^(?:and |but |so |ok |what about |how about )?"
_FRAGMENT = re.compile(rf"{_FRAGMENT_LEAD}(?:at|in|for|with|without|on|during|outside|within) ")
# ... of a place or a company, which the knowledge need not know ("in
# London?", "and at Google?")
_WHERE_FRAGMENT = re.compile(rf"{_FRAGMENT_LEAD}(?:in|at|outside|across|within) ")
# ... said as the object of the question ("got an analogy for that?", "what
# would I do all day in it?"), not as a dummy subject ("what day is it today").
_REFERS_TO_IT = re.compile(
    r"\b(?:in|for|about|with|on|to|at|of|into|learn|need|use|explain|do|does|did|own|owns|handle|handles) "
    r"(?:it|that|this)\b|\b(?:that|this) (?:one|role|job|part|stuff|too)\b"
)
_THAT = re.compile(r"\b(?:that|this|thats)\b")
# ... and "is it common?", "is it worth it?" (not "what time is it")
_IS_IT = re.compile(rf"^{_LEAD}(?:is|was|isnt|wasnt) it\b")
# How to do something oneself ("how do I reduce latency", "how to deploy a flask app").
_HOW_DO_I = re.compile(
    r"^(?:(?:ok|okay|so|and|but|hmm|also|now|then|hey|hi) )*"
    rf"(?:{_HOW_MODAL} (?:i|we|one)|how to)\b"
)
# A follow-up asking whether the last answer holds elsewhere.
# "is that before tax?", "are those numbers gross or net?", "is this per
# month?": a question on the last answer itself, of a case it need not know
_IS_THAT = re.compile(
    rf"{_LEAD}(?:is|are|was|were) (?:that|this|those|these|they)(?: numbers?| figures?)?"
    r" (?P<rest>(?:before|after|per|in|for|at|across|including|excluding|with|without|gross|net|pre|post|base"
    r"|annual|annually|monthly|yearly|total|only)(?: \w+){0,4})"
)
_HOLDS = re.compile(
    rf"{_LEAD}(?:is|would|does|do) (?:that|this|it|they) (?:also |still |really )?"
    r"(?:be )?(?:true|the case|hold|holds|apply|applies|the same|similar|same)"
    r"(?P<where> (?:everywhere|anywhere|elsewhere|(?:in|at|for|outside|across|of) (?:\w+ ){0,2}\w+))?"
    r"(?: too| as well| also| though)?"
)
# Where the last answer comes from ("where's that from?", "source?", "says
# who?", "where did you get those numbers"): its sources, not the bot's
# ("where does your information come from" is about the bot).
_REFERENT = r"(?:that|this|it|those|these)(?: (?:number|numbers|figure|figures|stat|stats|claim|data|info|one))?"
_SOURCE_ASK = re.compile(
    rf"{_LEAD}(?:(?:any|got|whats|what is|what are|whats your|what are your|and your) )?(?:the |a |ur )?"
    rf"(?:source|sources|sourse|sauce|citation|citations|reference|references|refs?)"
    rf"(?: (?:for|of|on) {_REFERENT})?(?: (?:pls|please|plz))?"
    rf"|{_LEAD}(?:wheres|where is|where does|where do|where did|whered|where are|where were|wheres all) {_REFERENT}"
    r" (?:come |coming |came )?from"
    rf"|{_LEAD}(?:where (?:did|do|does|would) (?:you|u)|whered (?:you|u)) (?:get|find|read|see|take) {_REFERENT}"
    r"(?: from)?"
    r"|(?:says|said) who|according to (?:who|whom|what|which source)|who says(?: so| that)?"
    r"|is (?:that|this|it) (?:sourced|backed up|cited)|(?:any |got )?proof"
)
# A word on what was just said, not asked as a question ("that seems low",
# "isn't that too simple", "i thought DS paid more though, that's odd")
_JUDGES = re.compile(
    rf"{_LEAD}(?:(?:that|thats|this|it|its) (?:\w+ )?(?:seems|sounds|looks|feels)"
    r"|(?:isnt|wasnt|doesnt) (?:that|this|it)|i thought)\b"
)
_JUDGING = frozenset(stem(w) for w in "sounds seems looks feels".split())
# A liking told ("I hate meetings tbh", "what if I like both?", "and
# someone who loves open-ended questions?"), and the words that tell it.
_LIKING_TOLD = re.compile(
    rf"{_LEAD}(?:(?:what|and|but) )?(?:if )?(?:i (?:really |also |honestly |kinda |kind of |just |actually )?"
    r"(?:like|love|enjoy|hate|prefer|dislike|cant stand)|(?:what about )?(?:someone|somebody|a person|people) who"
    r" (?:\w+ )?(?:likes?|loves?|enjoys?|hates?|prefers?|dislikes?))\b"
)
_LIKING_WORDS = frozenset(stem(w) for w in "love enjoy prefer dislike".split())  # "like" is filler, "hate" a hat
# A question that defines or picks a thing of its own ("what is a feature
# store?", "what's kafka?", "what's the difference between TensorFlow and
# PyTorch?", "should I use FastAPI or gRPC?"): about the thing, so it is
# judged alone, whatever the conversation was about.
_OF_ITS_OWN = re.compile(
    rf"^{_LEAD}(?:what (?:is|are|s) |whats |(?:what (?:is|s) |whats )?the difference between "
    r"|difference between |should (?:i|we) use |which (?:\w+ )?should (?:i|we) use )"
)
# A follow-up that sets a role against the one just asked about.
_COMPARES = re.compile(r"^(?:and |but |so )?(?:vs|versus|compared (?:to|with)|as opposed to|from)\b")
# The words of role names ("ml", "engineer", "ds"), which the topic model's
# check of the rest of a message leaves out.
_ROLE_WORDS = frozenset(w for k, v in PHRASES.items() if v in PERSON_ROLES for w in k.split()) - STOPWORDS
# How a message that continues a conversation starts ("and data scientists?",
# "what about MLEs?", "same for ML engineers").
_FOLLOW_UP_CUE = re.compile(
    r"^(?:and|but|or|also|plus|so|then|what about|how about|what of|same for|same with|same question for"
    r"|same thing for|for|vs|versus|compared to|compared with|as opposed to|how does that compare for"
    r"|what if|now for)\b"
    # "can you go deeper on the monitoring bit?", "elaborate on the versioning part"
    r"|^(?:(?:can|could|would) (?:you|u) )?(?:please )?(?:go deeper|dig deeper|go into more detail|say more"
    r"|tell me more|expand|elaborate|zoom in|more) (?:on|about|into)\b"
    # "which has better job security?": of the two roles just talked about
    r"|^which (?:one |role |of them |of the two )?(?:has|is|are|gets|pays|needs|offers|makes|sounds|seems|would be)"
    r" (?:\w+ )?(?:more|better|less|higher|lower|worse|best|most|easier|harder|safer)\b"
)


@dataclass(frozen=True)
class Answer:
    entry: Entry
    score: float
    runners_up: tuple[Entry, ...]
    # The tokens it was matched on; for a follow-up, with what it borrowed
    # from the previous turn (what the next follow-up borrows from).
    tokens: tuple[str, ...] = ()
    second: Entry | None = None  # the entry for another part of the question, offered first
    sources_only: bool = False  # asked where the last answer comes from: its sources, not the answer again
    # read from the conversation by a rule of its own ("why?", "what would
    # you pick?", "what if I like both?"): the follow-up model leaves it be
    settled: bool = False
    # the last answer kept by a rule for a case of it ("and at senior
    # level?"): the topic model's second opinion leaves it be
    kept: bool = False


@dataclass(frozen=True)
class Decline:
    score: float
    suggestions: tuple[Entry, ...]
    reason: str  # "empty", "unknown-words", "off-topic", "low-score", "small-talk", "not-ours" (topic_veto)


Result = Answer | Decline


class Score(NamedTuple):
    """One entry's score for a question, and what it is made of."""

    entry_id: str
    final: float  # the blend that decides
    fuzz: float  # rapidfuzz similarity with the entry's closest phrasing (token set and sort)
    overlap: float  # IDF share of the question's words the entry knows (phrasings, keywords; answer for less)
    cosine: float  # IDF cosine with the entry's closest phrasing
    vote: float = 0.0  # naive-Bayes likelihood of the question's words, relative to the likeliest scored entry's


class Heard(NamedTuple):
    """A message as matching reads it: cleaned, its content tokens (and the
    typos corrected on the way), and its words folded, the bot's name dropped."""

    cleaned: str
    tokens: list[str]
    corrected: dict[str, str]
    said: str


@dataclass(frozen=True)
class Analysis:
    """What the engine made of a question (for `explain`, tests and tuning)."""

    tokens: tuple[str, ...]
    known: tuple[str, ...]
    corrected: dict[str, str]
    coverage: float
    has_role: bool
    domain_words: int  # known topic words that are neither role names nor generic
    scores: tuple[Score, ...]  # best first
    # A question about the bot itself ("who are you"): its closest phrasing
    # among those asked of the bot, compared word for word, filler included.
    self_match: tuple[str, float] | None = None
    asks_who: bool = False  # "who monitors models?": a question about roles, even unnamed
    # A long message's question sentence that scored best: its best entry and score.
    ask: Score | None = None
    how_to: bool = False  # "how do I reduce inference latency": a technique, unless a role is named

    @property
    def has_domain(self) -> bool:
        return self.domain_words > 0


class Index:
    """Everything derived from the knowledge that matching needs, built once."""

    def __init__(
        self,
        entries: Iterable[Entry],
        generic_weight: float = 1.0,
        idf_smoothing: float = 0.5,
        idf_floor: float = 0.1,
        support_tau: float = 0.0,
        own_role_share: float = 0.75,
        nb_alpha: float = 0.1,
        nb_body: float = 0.3,
    ) -> None:
        self.entries: tuple[Entry, ...] = tuple(entries)
        self.entry_index: dict[str, int] = {e.id: i for i, e in enumerate(self.entries)}
        # each topic's entries, the one named after the topic first (its overview)
        by_topic: dict[str, list[str]] = {}
        for e in sorted(self.entries, key=lambda e: e.id != e.topic):
            by_topic.setdefault(e.topic, []).append(e.id)
        self.topic_entries: dict[str, tuple[str, ...]] = {t: tuple(ids) for t, ids in by_topic.items()}
        self.entry_ids: list[str] = [e.id for e in self.entries]
        self.q_text: list[str] = []
        self.q_entry: list[int] = []
        postings: dict[str, list[int]] = {}
        entry_vocab: list[frozenset[str]] = []
        body_vocab: list[frozenset[str]] = []
        # Surface words (folded, not stemmed) for typo correction: what the
        # knowledge is asked as, and the words phrases are built from.
        targets: set[str] = set(PHRASE_WORDS)
        body_words: set[str] = set()
        # For the self-check (leave one phrasing out): which phrasing a
        # question of an entry became, and the words only it brings.
        self.question_qi: dict[tuple[int, int], int] = {}
        self.q_unique: dict[int, frozenset[str]] = {}
        self.body_all: list[frozenset[str]] = []
        named: set[str] = set()  # title and keyword words (topic words however rare)
        keyword_words: set[str] = set()  # the entries' one-word keywords (a curator's search terms)
        keyword_phrases: set[tuple[str, ...]] = set()  # ... and the others' tokens ("pager duty")
        # How firmly an entry is asked with a word: 1 - exp(-phrasings using it / tau).
        supports: list[dict[str, float]] = []
        self.uses: list[dict[str, int]] = []  # phrasings using a word (keywords count 2)
        self.nb_counts: list[dict[str, float]] = []
        # Surface words by how often the knowledge is asked with them (typo ties).
        asked_words: dict[str, int] = {}
        for ei, entry in enumerate(self.entries):
            vocab: set[str] = set()
            for phrase in (*entry.questions, entry.title, *entry.keywords):
                for w in fold(phrase).split():
                    asked_words[w] = asked_words.get(w, 0) + 1
                    targets.add(w)
            word_count: dict[str, int] = {}
            # naive Bayes: the phrasings (title, keywords) using a word, and nb_body if the answer does
            nb: dict[str, float] = {}
            own: list[tuple[int, list[str]]] = []
            for qn, phrase in enumerate((*entry.questions, entry.title)):
                toks = content_tokens(phrase)
                for w in set(toks):
                    nb[w] = nb.get(w, 0.0) + 1.0
                if not toks:
                    continue
                qi = len(self.q_text)
                self.q_text.append(" ".join(toks))
                self.q_entry.append(ei)
                self.question_qi[(ei, qn)] = qi
                own.append((qi, toks))
                for t in toks:
                    postings.setdefault(t, []).append(qi)
                    word_count[t] = word_count.get(t, 0) + 1
                vocab.update(toks)
            kw_words: set[str] = set()
            for kw in entry.keywords:
                kw_list = content_tokens(kw)
                kw_toks = set(kw_list)
                kw_words.update(kw_toks)
                if len(kw_list) == 1:
                    keyword_words.update(kw_list)
                elif kw_list:
                    keyword_phrases.add(tuple(kw_list))
                for w in kw_toks:
                    nb[w] = nb.get(w, 0.0) + 1.0
            vocab.update(kw_words)
            named.update(kw_words)
            for qi, toks in own:
                self.q_unique[qi] = frozenset(t for t in toks if word_count[t] == 1 and t not in kw_words)
            entry_vocab.append(frozenset(vocab))
            support = {w: word_count.get(w, 0) + (1 if w in kw_words else 0) for w in vocab}
            self.uses.append({w: word_count.get(w, 0) + (2 if w in kw_words else 0) for w in vocab})
            supports.append(
                {w: 1.0 - math.exp(-n / support_tau) if support_tau > 0 else 1.0 for w, n in support.items()}
            )
            body = plain_markup(entry.answer)
            body_words.update(fold(body).split())
            body_tokens = frozenset(content_tokens(body))
            self.body_all.append(body_tokens)
            body_vocab.append(body_tokens - vocab)
            for w in body_tokens:
                nb[w] = nb.get(w, 0.0) + nb_body
            self.nb_counts.append(nb)
        # What an entry is asked as (questions, title, keywords) decides the
        # topic; the words of its answer count too, for less: real questions
        # are long and say things ("stakeholders", "infrastructure") that the
        # answer uses but no curated phrasing does.
        self.entry_vocab = entry_vocab
        self.body_vocab = body_vocab
        # An entry about one role ("what does a data scientist do?", "what
        # does a DS deliver?"): its phrasings that name one role name that
        # one, mostly, and never the other alone. A question naming only the
        # other role is not what it answers ("and what does the MLE deliver?").
        self.entry_role: list[str | None] = []
        for entry in self.entries:
            alone: dict[str, int] = {}
            naming = 0
            for q in entry.questions:
                roles_named = PERSON_ROLES.intersection(content_tokens(q))
                naming += bool(roles_named)
                if len(roles_named) == 1:
                    role = next(iter(roles_named))
                    alone[role] = alone.get(role, 0) + 1
            role_of = None
            if len(alone) == 1:
                role, n = next(iter(alone.items()))
                if n >= own_role_share * naming:
                    role_of = role
            self.entry_role.append(role_of)
        # Phrasings of the entries about the bot itself ("who are you",
        # "what can this bot do"), word for word, by entry.
        self.self_phrasings: list[tuple[int, tuple[tuple[str, ...], ...]]] = [
            (ei, tuple(tuple(self_words(q)) for q in entry.questions))
            for ei, entry in enumerate(self.entries)
            if entry.topic == ABOUT_TOPIC and entry.questions
        ]
        # ... all in one list, for one extractOne a question, each word one
        # character (a word-level edit distance, at the speed of strings)
        self.self_chars: dict[str, str] = {}
        for _, qs in self.self_phrasings:
            for q in qs:
                for w in q:
                    self.self_chars.setdefault(w, chr(SELF_CHAR_BASE + len(self.self_chars)))
        self.self_flat: tuple[str, ...] = tuple(
            "".join(self.self_chars[w] for w in q) for _, qs in self.self_phrasings for q in qs
        )
        self.self_flat_entry: list[int] = [ei for ei, qs in self.self_phrasings for _ in qs]
        # each about entry's phrasings in self_flat: (start, end)
        self.self_span: dict[int, tuple[int, int]] = {}
        start = 0
        for ei, qs in self.self_phrasings:
            self.self_span[ei] = (start, start + len(qs))
            start += len(qs)
        self.self_unseen_base = SELF_CHAR_BASE + len(self.self_chars)
        # Words only the entries about the bot itself are asked with ("info", "sources").
        other_vocab = frozenset(
            w for e, v in zip(self.entries, entry_vocab, strict=True) if e.topic != ABOUT_TOPIC for w in v
        )
        self.about_only = (
            frozenset(w for e, v in zip(self.entries, entry_vocab, strict=True) if e.topic == ABOUT_TOPIC for w in v)
            - other_vocab
        )
        # each word's phrasings, shortest first (see Engine._candidates)
        self.postings: dict[str, tuple[int, ...]] = {
            t: tuple(sorted(v, key=lambda qi: (len(self.q_text[qi].split()), qi))) for t, v in postings.items()
        }
        df: dict[str, int] = {}
        for vocab, body in zip(entry_vocab, body_vocab, strict=True):
            for t in vocab | body:
                df[t] = df.get(t, 0) + 1
        n = max(len(self.entries), 1)
        # Rare in the knowledge is not rare in English: generic words ("learn",
        # "become", "company") are damped so one of them cannot carry a match.
        self.idf: dict[str, float] = {
            t: (math.log((n + 1) / (d + idf_smoothing)) + idf_floor)
            * (generic_weight if t in STEMMED_GENERIC and t not in STEMMED_TOPIC_GENERIC else 1.0)
            for t, d in df.items()
        }
        self.unknown_idf = math.log((n + 1) / idf_smoothing) + idf_floor
        # What each word an entry is asked with adds to its overlap: the
        # word's IDF times how firmly the entry is asked with it.
        self.support_idf: list[dict[str, float]] = [
            {w: self.idf[w] * firm for w, firm in support.items()} for support in supports
        ]
        self.asked_vocab = frozenset(t for v in entry_vocab for t in v)
        # Topic words: what the knowledge is asked with more than in passing,
        # in two phrasings of one entry or more, or in a title or keywords. A
        # word of a long phrasing's back-story ("nurse", "laptop"), even in two
        # entries' stories, does not make a question in scope.
        for entry in self.entries:
            named.update(content_tokens(entry.title))
        # The most phrasings of one entry a word is used in, and how many entries are asked with it.
        self.max_uses: dict[str, int] = {}
        self.asked_df: dict[str, int] = {}
        for uses in self.uses:
            for w, n in uses.items():
                self.max_uses[w] = max(self.max_uses.get(w, 0), n)
        for vocab in entry_vocab:
            for w in vocab:
                self.asked_df[w] = self.asked_df.get(w, 0) + 1
        self.topic_vocab = frozenset(t for t in self.asked_vocab if t in named or self.max_uses.get(t, 0) >= 2)
        self.keyword_vocab = frozenset(keyword_words - STEMMED_GENERIC - ROLE_TOKENS)
        self.keyword_phrases = frozenset(keyword_phrases)
        # The entry asked most with likings told ("I love stats", "I enjoy
        # coding"): what a liking told as a follow-up to it goes on about.
        liking = [sum(uses.get(w, 0) for w in _LIKING_WORDS) for uses in self.uses]
        self.liking_entry: str | None = (
            self.entry_ids[liking.index(max(liking))] if liking and max(liking) >= 2 else None
        )
        self.q_sets: list[frozenset[str]] = [frozenset(text.split()) for text in self.q_text]
        # each phrasing's token-sort key, made once here rather than at every question
        self.q_sorted: list[str] = [token_sort_key(text) for text in self.q_text]
        self.q_norm: list[float] = [
            math.sqrt(sum(self.idf[w] ** 2 for w in text.split())) or 1.0 for text in self.q_text
        ]
        self.vocab = frozenset(df)
        # Correction targets grouped by first letter and length: a typo rarely
        # hits the first letter, and requiring it keeps "loud" from becoming
        # "cloud" or "employ" from becoming "deploy".
        self.known_words = frozenset(targets | body_words | STOPWORDS | GENERIC)
        self.known_stems = frozenset(stem(w) for w in self.known_words)
        by_shape: dict[tuple[str, int], list[str]] = {}
        # "waht" is a typo too. On a tie (as many edits) the word the
        # knowledge is asked with most wins ("what", not "want"; "deloys" is
        # "deploys", not the shorter "delays"), then the shorter, then an
        # everyday word, then the first in order.
        self.target_freq = asked_words
        # Greetings and thanks of other languages stay known words (above: never
        # "corrected") but are no typo's reading ("moon" is not "moin").
        targets -= NOT_TYPO_TARGETS
        for w in sorted(targets | STOPWORDS, key=lambda w: (-asked_words.get(w, 0), w not in STOPWORDS, w)):
            if len(w) >= 4 and not w.isdigit():
                by_shape.setdefault((w[0], len(w)), []).append(w)
        self.targets_by_shape: dict[tuple[str, int], tuple[str, ...]] = {k: tuple(v) for k, v in by_shape.items()}
        self.real_words = _real_words(targets | STOPWORDS, self.known_words)
        # Naive Bayes (counts made above, per entry).
        self.nb_alpha = nb_alpha
        self.nb_vocab = frozenset(w for c in self.nb_counts for w in c)
        self.nb_words = len(self.nb_vocab)
        self.nb_total: list[float] = [sum(c.values()) for c in self.nb_counts]
        # An unseen word's log-likelihood in each entry, what a word the entry
        # is asked with adds over that, and the entry's words as a set (a
        # question meets few of them).
        self.nb_unseen: list[float] = [math.log(nb_alpha / (t + nb_alpha * self.nb_words)) for t in self.nb_total]
        self.nb_gain: list[dict[str, float]] = [
            {w: math.log((n + nb_alpha) / nb_alpha) for w, n in counts.items()} for counts in self.nb_counts
        ]
        self.nb_sets: list[frozenset[str]] = [frozenset(c) for c in self.nb_counts]


def _real_words(targets: set[str], known: frozenset[str]) -> frozenset[str]:
    """English words the corrector must not take for typos of a target.

    Those a target becomes with one or two letters added or cut at the end,
    those a letter from a role's shorthand, those that are two known words
    run together, and every three-letter word (short words are corrected
    only by a swap or a missing letter: "hwo", "dta"). Kept small (a few thousand words), so the
    pickled engine stays light.
    """
    english = english_words()
    real: set[str] = set()
    # words a letter from a role's shorthand can only be of these shapes
    shapes = {(s[0], n) for s in ROLE_SHORTHANDS for n in range(len(s) - 1, len(s) + 2)}
    near: list[str] = []
    for w in english:
        if w in known:
            continue
        n = len(w)
        if n and (w[0], n) in shapes:
            near.append(w)
        if w[: n - 1] in targets or w[: n - 2] in targets:
            real.add(w)
        elif n == 3:
            real.add(w)  # "tow" is not "two", "bat" not "beat"
        elif any(w[:i] in known and w[i:] in known for i in range(2, n - 1)):
            real.add(w)  # "payday" is not "pay day", "fords" not "for ds"
    for t in targets:
        for cut in (t[:-1], t[:-2]):
            if len(cut) >= 2 and cut in english and cut not in known:
                real.add(cut)
    for s in ROLE_SHORTHANDS:
        real.update(hit for hit, _, _ in process.extract(s, near, scorer=OSA.distance, score_cutoff=1, limit=None))
    return frozenset(real)


class Engine:
    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> None:
        self.kb = kb
        self.t = thresholds
        t = thresholds
        self.index = Index(
            kb.entries,
            t.generic_weight,
            t.idf_smoothing,
            t.idf_floor,
            t.support_tau,
            t.own_role_share,
            t.nb_alpha,
            t.nb_body,
        )
        # Typo corrections already worked out, word -> word (the index never
        # changes, so neither do they; a dict's get and set are atomic).
        self._fixes: dict[str, str] = {}
        self.followups: FollowUpModel | None = default_model() if t.follow_up_model else None
        self.topic_model: TopicModel | None = TopicModel.load() if t.topic_model else None

    # -- matching ----------------------------------------------------------

    def _corrector(self, corrected: dict[str, str]) -> Callable[[str], str]:
        """A word fixer for content_tokens that records what it changed."""
        idx, t = self.index, self.t

        memo = self._fixes

        def fix(word: str) -> str:
            if len(word) < t.typo_min_len or word.isdigit() or word in idx.known_words or stem(word) in idx.known_stems:
                if len(word) == 3 and word not in idx.known_words and word not in idx.real_words and word.isalpha():
                    swapped = word[0] + word[2] + word[1]  # "hwo", "teh", "adn"
                    if t.typo_swap_short and swapped in idx.known_words:
                        corrected[word] = swapped
                        return swapped
                    # "ful", "lik", "dta": a letter short of a word (the most asked)
                    longer = next(
                        (w for w in idx.targets_by_shape.get((word[0], 4), ()) if Indel.distance(word, w) == 1), None
                    )
                    if t.typo_extend_short and longer is not None:
                        corrected[word] = longer
                        return longer
                return word
            known = memo.get(word)
            if known is not None:
                if known != word:
                    corrected[word] = known
                return known
            fixed = find(word)
            if len(memo) >= TYPO_MEMO_SIZE:
                memo.clear()
            memo[word] = fixed
            if fixed != word:
                corrected[word] = fixed
            return fixed

        def find(word: str) -> str:
            # Optimal string alignment: one edit (a swapped pair counts as
            # one) for short words, two from eight letters on. Real words a
            # letter apart ("deeply"/"deploy") stay apart.
            # A real word that is another with letters added or cut at the
            # end is a different word ("mode"/"model", "properly"/"proper"),
            # and a short one is not a role's shorthand ("miles"/"mles"); a
            # non-word is a typo ("driftt", "actuall", "mlpos").
            n = len(word)
            limit = t.typo_edits_short if len(word) < t.typo_long_len else t.typo_edits_long
            real = word in idx.real_words
            # Each length's targets are in tie order already: the closest of
            # each, then the closest overall (fewest edits, asked most, shorter).
            best: tuple[tuple[float, int, int], str] | None = None
            for size in range(n - limit, n + limit + 1):
                pool: Sequence[str] = idx.targets_by_shape.get((word[0], size), ())
                if real and pool:
                    pool = [
                        w
                        for w in pool
                        if (size == n or not (w.startswith(word) or word.startswith(w)))
                        and (n >= t.typo_role_len or w not in ROLE_SHORTHANDS)
                    ]
                if not pool:
                    continue
                hit = process.extractOne(word, pool, scorer=OSA.distance, processor=None, score_cutoff=limit)
                if hit is not None:
                    key = (hit[1], -idx.target_freq.get(hit[0], 0), size)
                    if best is None or key < best[0]:
                        best = (key, str(hit[0]))
            if best is not None:
                return best[1]
            # Two words run together ("whatsthe", "differencebetween"): the
            # split whose shorter part is longest, both parts known words.
            if t.typo_split and n >= 2 * t.typo_split_part:
                splits = [
                    (min(i, n - i), word[:i], word[i:])
                    for i in range(t.typo_split_part, n - t.typo_split_part + 1)
                    if word[:i] in idx.known_words and word[i:] in idx.known_words
                ]
                if splits and not real:
                    _, first, second = max(splits)
                    return f"{first} {second}"
            return word

        return fix

    def tokens(self, cleaned: str) -> tuple[list[str], dict[str, str]]:
        """Content tokens of a cleaned question, typos corrected."""
        corrected: dict[str, str] = {}
        tokens = content_tokens(cleaned, self._corrector(corrected))
        # "Who are you", "what can you do", "where does your info come from":
        # a question put to the bot that names nothing of the domain is about
        # the bot itself. One that does ("can you explain DS vs MLE") is not.
        if SELF not in tokens and addresses_bot(cleaned) and not self._names_domain(tokens):
            tokens.insert(0, SELF)
        return tokens, corrected

    def _most_about(self, entry_id: str, tok: str) -> bool:
        """Whether no entry is asked with a word more often than this one."""
        idx = self.index
        most = idx.max_uses.get(tok, 0)
        return most > 0 and idx.uses[idx.entry_index[entry_id]].get(tok, 0) == most

    def _known_topic(self, tok: str) -> bool:
        """A word the knowledge is asked with, or an everyday one (not a
        word of some phrasing's back-story, such as "nurse")."""
        return tok in self.index.topic_vocab or tok in STEMMED_GENERIC or tok in STEMMED_TOPIC_GENERIC

    def _names_domain(self, tokens: list[str]) -> bool:
        """A role name or a topic word among `tokens` (not one only the
        entries about the bot are asked with: "where does your info come from")."""
        about_only = self.index.about_only
        return any(t in ROLE_TOKENS or (self._topic_word(t) and t not in about_only) for t in tokens)

    def _topic_word(self, tok: str, vocab: frozenset[str] | None = None) -> bool:
        """A word the knowledge is asked with (`vocab`, by default its topic
        words) that says what about: not a role name, not generic, not the bot."""
        vocab = self.index.topic_vocab if vocab is None else vocab
        return tok in vocab and tok not in STEMMED_GENERIC and tok not in ROLE_TOKENS and tok != SELF

    def _candidates(self, known: list[str], cap: int) -> list[int]:
        """Phrasings sharing a word with the question, rarest words first,
        at most `cap` of them so a huge knowledge base stays fast. Where a
        word's phrasings overflow the cap, its shortest come first: "what
        does an MLE do" is closest to the phrasings that say little else."""
        idx = self.index
        lists = sorted((idx.postings.get(t, ()) for t in known), key=len)
        chosen: set[int] = set()
        for plist in lists:
            room = cap - len(chosen)
            if room <= 0:
                break
            if len(plist) <= room:
                chosen.update(plist)
                continue
            for qi in plist:  # shortest phrasings first
                if qi not in chosen:
                    chosen.add(qi)
                    room -= 1
                    if room == 0:
                        break
            break
        return sorted(chosen)

    def analyse(self, text: str) -> Analysis:
        """What the engine makes of a question on its own (no conversation)."""
        cleaned, _ = clean_input(text)
        tokens, corrected = self.tokens(cleaned)
        return self.analyse_message(cleaned, tokens, corrected)

    def analyse_message(
        self, cleaned: str, tokens: list[str], corrected: dict[str, str], leave_out: int | None = None
    ) -> Analysis:
        """A whole message: its words, blended with its question sentences'.
        Within one `match`, worked out once (see `_memoised`)."""
        if leave_out is not None:
            return self._analyse_message(cleaned, tokens, corrected, leave_out)
        key = ("message", tuple(tokens), cleaned, tuple(corrected.items()))
        return _memoised(key, lambda: self._analyse_message(cleaned, tokens, corrected))

    def _analyse_message(
        self, cleaned: str, tokens: list[str], corrected: dict[str, str], leave_out: int | None = None
    ) -> Analysis:
        a = self.analyse_tokens(tokens, corrected, cleaned, leave_out)
        if not a.scores:
            return a  # nothing for the views to blend into
        # Only the views' scores count, and only for the entries the whole
        # message scored (see _with_views): a view scores just those, and the
        # same view twice once.
        views = list(dict.fromkeys(tuple(v) for v in self._ask_views(cleaned, tokens)))
        if not views:
            return a
        scored = frozenset(self.index.entry_index[sc.entry_id] for sc in a.scores)
        return self._with_views(
            a, [self.analyse_tokens(list(v), corrected, "", leave_out, within=scored) for v in views]
        )

    def analyse_tokens(
        self,
        tokens: list[str],
        corrected: dict[str, str],
        cleaned: str = "",
        leave_out: int | None = None,
        within: frozenset[int] | None = None,
    ) -> Analysis:
        """The analysis of `tokens` (see `_analyse_tokens`). Within one `match`
        the same reading is worked out once (see `_memoised`)."""
        if leave_out is not None:
            return self._analyse_tokens(tokens, corrected, cleaned, leave_out, within)
        key = (tuple(tokens), cleaned, tuple(corrected.items()), within)
        return _memoised(key, lambda: self._analyse_tokens(tokens, corrected, cleaned, None, within))

    def _analyse_tokens(
        self,
        tokens: list[str],
        corrected: dict[str, str],
        cleaned: str = "",
        leave_out: int | None = None,
        within: frozenset[int] | None = None,
    ) -> Analysis:
        """`leave_out`: a phrasing (by index) to match as if the knowledge
        did not hold it (the self-check). `within`: entries (by index) to
        score, the others left out of `scores` (a view of a long message:
        each entry's score is the same as without it); nor is a view
        matched against the questions asked of the bot itself."""
        idx = self.index
        known = [t for t in tokens if t in idx.vocab]
        has_role = any(t in ROLE_TOKENS for t in known)
        domain_words = sum(1 for t in known if self._topic_word(t, idx.asked_vocab))
        coverage = len(known) / len(tokens) if tokens else 0.0
        self_match = None
        # "who monitors models?" asks about roles; "who do you report to" asks the bot
        folded = fold(cleaned)
        asks_who = _ASKS_WHO.search(folded) is not None and _ASKS_WHO_OF_BOT.search(folded) is None
        how_to = _HOW_DO_I.match(folded) is not None
        if SELF in tokens and not has_role and within is None and not self._names_domain(tokens):
            self_match = self._self_match(cleaned, tokens)
        if not known:
            return Analysis(
                tuple(tokens), (), corrected, coverage, has_role, domain_words, (), self_match, asks_who, how_to=how_to
            )
        query = " ".join(tokens)
        # A question with neither a role nor a topic word will be declined;
        # it is scored only for "did you mean", on fewer candidates.
        in_scope = has_role or domain_words > 0
        cap = self.t.candidate_cap if in_scope else self.t.candidate_cap_off_topic
        cands = self._candidates(known, cap if within is None else min(cap, self.t.candidate_cap_view))
        entry_vocab, body_vocab = idx.entry_vocab, idx.body_vocab
        if leave_out is not None:
            cands = [c for c in cands if c != leave_out]
            left_entry = idx.q_entry[leave_out]
            gone = idx.q_unique[leave_out]
            entry_vocab = [*entry_vocab]
            body_vocab = [*body_vocab]
            entry_vocab[left_entry] = entry_vocab[left_entry] - gone
            body_vocab[left_entry] = body_vocab[left_entry] | (gone & idx.body_all[left_entry])
        if within is not None:
            q_entry = idx.q_entry
            cands = [c for c in cands if q_entry[c] in within]
        texts = list(map(idx.q_text.__getitem__, cands))
        best_fuzz: dict[int, float] = {}
        set_scores = process.extract(
            query, texts, scorer=fuzz.token_set_ratio, processor=None, limit=None, score_cutoff=self.t.fuzz_cutoff
        )
        passing = [cands[c] for _, _, c in set_scores]
        sort_scores = process.extract(
            token_sort_key(query),
            list(map(idx.q_sorted.__getitem__, passing)),  # token-sort similarity, each side's tokens sorted once
            scorer=fuzz.ratio,
            processor=None,
            limit=None,
        )
        sort_by_pos = [0.0] * len(passing)
        for _, score, pos in sort_scores:
            sort_by_pos[pos] = score
        t = self.t
        q_entry = idx.q_entry
        set_weight, sort_weight = t.set_weight, 1 - t.set_weight
        for ei, (_, set_score, _), sort_score in zip(
            map(q_entry.__getitem__, passing), set_scores, sort_by_pos, strict=True
        ):
            combined = set_weight * set_score + sort_weight * sort_score
            if combined > best_fuzz.get(ei, -1.0):
                best_fuzz[ei] = combined
        if len(best_fuzz) > t.scored_entries:  # a large knowledge: the closest entries only
            kept = sorted(best_fuzz.items(), key=lambda item: (-item[1], item[0]))[: t.scored_entries]
            best_fuzz = dict(kept)
        nb = self._nb_vote(tokens, best_fuzz, leave_out) if t.nb_weight else {}
        unknown = idx.unknown_idf * t.unknown_weight
        unasked = t.unasked_weight
        asked_vocab = idx.asked_vocab
        total_idf = sum(idx.idf[w] if w in asked_vocab else idx.idf.get(w, unknown) * unasked for w in tokens)
        cosine = self._best_cosine(tokens, [c for c in cands if q_entry[c] in best_fuzz])  # only entries scored
        known_set = frozenset(known)
        body_weight = {w: t.body_weight * idx.idf[w] for w in known}
        norm = t.fuzz_weight + t.overlap_weight + t.cosine_weight + t.nb_weight
        fuzz_weight, overlap_weight, cosine_weight = t.fuzz_weight, t.overlap_weight * 100, t.cosine_weight * 100
        nb_weight = t.nb_weight * 100
        support_idf, entry_ids = idx.support_idf, idx.entry_ids
        scored: list[Score] = []
        asked_roles = PERSON_ROLES.intersection(known)
        other_role = next(iter(PERSON_ROLES - asked_roles)) if len(asked_roles) == 1 else None
        for ei, fz in best_fuzz.items():
            if other_role is not None and idx.entry_role[ei] == other_role:
                continue  # about the other role only
            hits = sum(map(support_idf[ei].__getitem__, known_set & entry_vocab[ei]))
            hits += sum(map(body_weight.__getitem__, known_set & body_vocab[ei]))
            overlap = hits / total_idf
            cos = cosine.get(ei, 0.0)
            vote = nb.get(ei, 0.0)
            final = fuzz_weight * fz + overlap_weight * overlap + cosine_weight * cos + nb_weight * vote
            scored.append(Score(entry_ids[ei], final / norm, fz, overlap, cos, vote))
        _rank(scored)
        return Analysis(
            tuple(tokens),
            tuple(known),
            corrected,
            coverage,
            has_role,
            domain_words,
            tuple(scored),
            self_match,
            asks_who,
            how_to=how_to,
        )

    def _self_match(self, cleaned: str, tokens: list[str]) -> tuple[str, float] | None:
        """The closest phrasing asked of the bot itself, on all the words.

        Questions put to the bot are all filler to the matcher ("who are
        you", "what can you do"), and so is small talk ("how are you", "what
        do you do after work"): only a close match on every word, in order,
        tells them apart."""
        idx = self.index
        if not idx.self_phrasings:
            return None
        fix = self._corrector({})
        asked = self_words(cleaned, fix)
        # "who are you and who made you?": each question of it, too
        parts = [asked]
        if len(asked) > 3:
            parts += [p for p in (self_words(c, fix) for c in _CLAUSES.split(cleaned)) if p and p != asked]
        # "what are you feeling today": not what an entry is asked
        eligible = [ei for ei, _ in idx.self_phrasings if all(tok in idx.entry_vocab[ei] for tok in tokens)]
        if not eligible:
            return None
        choices: Sequence[str] = idx.self_flat
        owner: Sequence[int] = idx.self_flat_entry
        if len(eligible) < len(idx.self_phrasings):
            some: list[str] = []
            theirs: list[int] = []
            for ei in eligible:
                start, end = idx.self_span[ei]
                some += idx.self_flat[start:end]
                theirs += idx.self_flat_entry[start:end]
            choices, owner = some, theirs
        chars = idx.self_chars
        unseen: dict[str, str] = {}  # a word no phrasing has: a character of its own

        def encode(words: list[str]) -> str:
            return "".join(chars.get(w) or unseen.setdefault(w, chr(idx.self_unseen_base + len(unseen))) for w in words)

        best: tuple[str, float] | None = None
        for part in map(encode, parts):
            # the closest phrasing of all (the first of equals: entries in order);
            # a clause counts only if it beats the whole message
            cutoff = None if best is None else best[1] / 100.0
            hit = process.extractOne(
                part, choices, scorer=Indel.normalized_similarity, processor=None, score_cutoff=cutoff
            )
            if hit is None or (best is not None and 100.0 * hit[1] <= best[1]):
                continue
            score = 100.0 * hit[1]
            if best is None or score > best[1]:
                best = (idx.entries[owner[hit[2]]].id, score)
        return best

    def _nb_vote(self, tokens: list[str], entries: Iterable[int], leave_out: int | None) -> dict[int, float]:
        """Per entry (of `entries`), the naive-Bayes likelihood that the
        question's words are drawn from its phrasings, relative to the
        likeliest of `entries` (which gets 1). The log-likelihood is taken
        per word (times `nb_scale`), so a long message is not more certain
        for being long. `leave_out`: a phrasing not counted (the self-check)."""
        idx = self.index
        counted: dict[str, int] = {}
        for w in tokens:
            if w in idx.nb_vocab:
                counted[w] = counted.get(w, 0) + 1
        if not counted:
            return {}
        n_words = sum(counted.values())
        asked = frozenset(counted)
        left = idx.q_entry[leave_out] if leave_out is not None else None
        ll: dict[int, float] = {}
        nb_gain, nb_sets, nb_unseen = idx.nb_gain, idx.nb_sets, idx.nb_unseen
        once = n_words == len(asked)  # no word twice: sum the gains in C
        for ei in entries:
            if ei == left:
                assert leave_out is not None
                gone = idx.q_sets[leave_out]
                counts = idx.nb_counts[ei]
                denom = idx.nb_total[ei] - len(gone) + idx.nb_alpha * idx.nb_words
                ll[ei] = sum(
                    n * math.log((counts.get(w, 0.0) - (w in gone) + idx.nb_alpha) / denom) for w, n in counted.items()
                )
                continue
            gain = nb_gain[ei]
            common = asked & nb_sets[ei]
            if once:
                ll[ei] = n_words * nb_unseen[ei] + sum(map(gain.__getitem__, common))
            else:
                ll[ei] = n_words * nb_unseen[ei] + sum(gain[w] * counted[w] for w in common)
        if not ll:
            return {}
        scale = self.t.nb_scale / n_words
        top = max(ll.values())
        odds = {ei: math.exp((v - top) * scale) for ei, v in ll.items()}
        return odds

    def _best_cosine(self, tokens: list[str], cands: list[int]) -> dict[int, float]:
        """Per entry, the best IDF-weighted cosine between the question and
        one of its candidate phrasings: high only when the words that matter
        are shared both ways (a rare word in one phrasing does not carry it)."""
        idx = self.index
        weights = {w: idx.idf[w] ** 2 for w in tokens if w in idx.idf and w not in ROLE_TOKENS}
        unknown = idx.unknown_idf * self.t.unknown_weight
        q_norm = math.sqrt(sum(idx.idf.get(w, unknown) ** 2 for w in tokens)) or 1.0
        query = frozenset(weights)
        q_sets, q_norms, q_entry = idx.q_sets, idx.q_norm, idx.q_entry
        best: dict[int, float] = {}
        for qi in cands:
            common = query & q_sets[qi]
            if not common:
                continue
            cos = sum(map(weights.__getitem__, common)) / (q_norm * q_norms[qi])
            ei = q_entry[qi]
            if cos > best.get(ei, 0.0):
                best[ei] = cos
        return best

    def match(self, text: str, previous: Turn | None = None) -> Result:
        """Answer or decline a question (built-in commands are not handled here).

        `previous` is the conversation's last answered turn: a follow-up
        that names no role, or only a role, borrows from it (see
        `follow_up_tokens`), and its answer is chosen among its readings
        (`reconsider`)."""
        heard = self.hear(text, None if previous is None else previous.topic)
        result = self._match(heard, previous)
        if isinstance(result, Answer) and previous is not None and self.about_another_occupation(heard, previous):
            return Decline(result.score, (result.entry,), "not-ours")
        return result

    def about_another_occupation(self, heard: Heard, previous: Turn) -> bool:
        """Whether a follow-up asks about an occupation far from the roles
        ("what skills does a chef need then", "and nurses?", "what does a
        bank teller do all day": `bot.occupations`): context may complete a
        question about the roles, not turn one about somebody else into an
        answer. Not when it names a role of ours, the asker ("I'm a nurse,
        could I switch?", "my dad's a mechanic") or an analogy, or follows
        one ("so who's the chef?": the sources' analogies have cooks and
        builders); with `Thresholds.other_occupations` off, never."""
        if not self.t.other_occupations:
            return False
        _, tokens, _, said = heard
        return (
            any(map(names_occupation, said.split()))
            and previous.topic != ANALOGY_TOPIC
            and ANALOGY_TOPIC not in tokens
            and not ROLE_TOKENS.intersection(tokens)
            and not _ASKERS_OWN.search(said)
        )

    def _match(self, heard: Heard, previous: Turn | None) -> Result:
        """`match`, but for the last word on other occupations."""
        _MEMO.analyses = {}  # the topic model's pick within a topic reads the message as the rules did
        try:
            if previous is None or self.followups is None or previous.topic == ABOUT_TOPIC:
                return self.second_opinion(heard, previous, self._match_rules(heard, previous), False)
            result = self._match_rules(heard, previous)
            if isinstance(result, Answer) and (result.sources_only or result.settled):
                if self._again(result, previous):
                    return self.second_opinion(heard, previous, result, True)
                return result
            candidates = self.follow_up_candidates(heard, previous, result)
            result = self.reconsider(result, self.followups, candidates)
            return self.second_opinion(heard, previous, result, bool(candidates))
        finally:
            _MEMO.analyses = None

    def topic_features(
        self, heard: Heard, context: Sequence[str] = (), roles: bool = True, last_topic: str = ""
    ) -> list[str]:
        """The topic model's features of a message (bot/topics.py): its words,
        typos corrected, its tokens, the conversation's last tokens, and how
        many of its tokens the knowledge does not know and of its words (as
        typed) name an occupation far from the roles; with `roles` False,
        without the words and tokens of role names."""
        _, tokens, corrected, said = heard
        typed = said.split()
        occupations = sum(map(names_occupation, typed))
        words = [corrected.get(w, w) for w in typed]
        if not roles:
            words = [w for w in words if w not in _ROLE_WORDS]
            tokens = [tok for tok in tokens if tok not in ROLE_TOKENS]
        vocab = self.index.vocab
        unknown = sum(1 for tok in tokens if tok not in vocab and tok not in ROLE_TOKENS)
        return topic_features(words, tokens, context, unknown, last_topic, occupations)

    def topic_opinion(self, heard: Heard, previous: Turn | None = None) -> list[tuple[str, float]]:
        """The topic model's probabilities for a message (likeliest first;
        empty when the model is off), with the conversation's last tokens."""
        if self.topic_model is None:
            return []
        if previous is None:
            return self.topic_model.probabilities(self.topic_features(heard))
        return self.topic_model.probabilities(self.topic_features(heard, previous.tokens, last_topic=previous.topic))

    def second_opinion(self, heard: Heard, previous: Turn | None, result: Result, follow_up: bool) -> Result:
        """The topic model's word on the rules' (and the follow-up model's)
        result (bot/topics.py): a low-score decline is answered, and an
        answer moved to another topic, when the model is sure enough
        (`Thresholds.topic_answer`, `topic_overrule`, `topic_overrule_last`).
        `follow_up`: read as a follow-up of `previous` (False: as a question
        alone, which must name a role). Off-topic declines (but a
        follow-up's, from `topic_answer_off_topic`), the bot's own entries
        and answers settled by a rule (but the last answer given again) are
        left be; a decline read as asked of the bot itself, see
        `_about_opinion`."""
        model = self.topic_model
        if model is None:
            return result
        again = self._again(result, previous)
        about_only = False  # a decline only a reading about the bot may answer
        if isinstance(result, Answer):
            if (result.settled and not again) or result.sources_only or result.kept:
                return result
            if result.entry.topic == ABOUT_TOPIC:
                return result
        elif result.reason != "low-score" and not (follow_up and result.reason in _RULED_OFF_TOPIC):
            if result.reason not in _MAY_ASK_ABOUT:
                return result
            about_only = True
        cleaned, tokens, corrected, _ = heard
        topic, p = self.topic_opinion(heard, previous)[0]
        t = self.t
        if (
            topic == "none"
            and isinstance(result, Answer)
            and not again
            and p >= t.topic_veto
            and result.entry.topic in model.topics
            and not self._asked_as_phrased(heard, result.entry.id)
        ):
            # "also is it normal to feel lost in first year lol" after a
            # question about degrees: the words fit an entry, the model has
            # seen such messages as nothing of ours (a word on the last
            # answer, "is it unusual?", "that sounds odd", is the rules' call;
            # an entry of a topic the model was not fitted on, or a message
            # asked nearly word for word as a phrasing, such as one a curator
            # just added, is the knowledge's call)
            return Decline(result.score, (result.entry,), "not-ours")
        if topic == ABOUT_TOPIC:
            return self._about_opinion(heard, result, p, follow_up)
        if about_only or topic not in self.index.topic_entries:
            return result  # "none" (a near miss, chat) or a topic the knowledge no longer has
        if isinstance(result, Answer):
            if topic == result.entry.topic or p < (t.topic_overrule_last if again else t.topic_overrule):
                return result
        else:
            if p < (t.topic_answer if result.reason == "low-score" else t.topic_answer_off_topic):
                return result
            if not follow_up and p < t.topic_answer_no_role and not any(tok in PERSON_ROLES for tok in tokens):
                return result
        alone = self.topic_features(heard)
        if follow_up:
            read_alone = model.probabilities(alone)
            if again and read_alone[0][0] != topic:
                return result  # "why?", "is that normal?": the last answer, unless the message says what else
            if not self._ours_alone(read_alone, topic):
                return result  # read alone, the message is not the knowledge's: the conversation made the topic
        # "ML engineer socks", "is that true about the moon landing?" after a
        # salary answer: without its role names and the conversation, the
        # message is not the knowledge's; context may complete a question, not
        # make one. (Naming no role, that reading is `alone`, already read
        # above, and not `none`, or as the opinion itself, of `topic`.)
        bare = self.topic_features(heard, roles=False)
        known = previous is None or follow_up
        if not (known and bare == alone) and model.probabilities(bare)[0][0] == "none":
            return result
        roles = list(previous.roles) if previous is not None and follow_up else []
        read = list(dict.fromkeys([*tokens, *roles]))
        best = self._topic_entry(topic, cleaned, read, corrected)
        # the answer moved from is offered first among the related entries
        second = result.entry if isinstance(result, Answer) else None
        return Answer(self.kb.by_id[best], round(p * 100, 1), (), tokens=tuple(read), second=second)

    def _asked_as_phrased(self, heard: Heard, entry_id: str) -> bool:
        """Whether the message, read alone, is one of the entry's phrasings
        nearly word for word (`topic_veto_fuzz`)."""
        cleaned, tokens, corrected, _ = heard
        if not tokens:
            return False
        scores = self.analyse_message(cleaned, tokens, corrected).scores
        found = next((sc for sc in scores if sc.entry_id == entry_id), None)
        return found is not None and found.fuzz >= self.t.topic_veto_fuzz

    def _about_opinion(self, heard: Heard, result: Result, p: float, follow_up: bool) -> Result:
        """A decline the topic model reads as asked of the bot itself ("how
        up to date is your info", "can I trust your salary numbers"):
        answered with the entry about the bot when the model is
        `topic_answer_about` sure, and, in a conversation, the message read
        alone is about the bot too (the conversation does not make it so).
        An answer is never moved to it."""
        entry_ids = self.index.topic_entries.get(ABOUT_TOPIC, ())
        if isinstance(result, Answer) or not entry_ids or p < self.t.topic_answer_about:
            return result
        if follow_up and self.topic_model is not None:
            if self.topic_model.probabilities(self.topic_features(heard))[0][0] != ABOUT_TOPIC:
                return result
        cleaned, tokens, corrected, _ = heard
        best = self._topic_entry(ABOUT_TOPIC, cleaned, tokens, corrected)
        return Answer(self.kb.by_id[best], round(p * 100, 1), (), tokens=tuple(tokens))

    def _topic_entry(self, topic: str, cleaned: str, read: list[str], corrected: dict[str, str]) -> str:
        """Which of a topic's entries answers for the topic model: the
        matcher's best of them on `read`, else the topic's first (its overview)."""
        entry_ids = self.index.topic_entries[topic]
        best = entry_ids[0]
        if len(entry_ids) > 1 and read:
            scores = self.analyse_message(cleaned, read, corrected).scores
            best = next((sc.entry_id for sc in scores if sc.entry_id in entry_ids), best)
        return best

    @staticmethod
    def _again(result: Result, previous: Turn | None) -> bool:
        """Whether the rules gave the last answer again ("why?", "like
        what?", "how long does that usually take?": `_last_answer`; "is that
        in europe?" after a PhD question)."""
        return (
            isinstance(result, Answer)
            and not result.sources_only
            and previous is not None
            and result.entry.id == previous.entry_id
        )

    @staticmethod
    def _ours_alone(alone: list[tuple[str, float]], topic: str) -> bool:
        """Whether a follow-up read alone (`alone`: the topic model's
        probabilities without the conversation) is a question of ours that
        the conversation may place in `topic`: read alone it is of `topic`,
        or of another of the knowledge's topics ("like containers?" and "do
        MLEs use kubernetes a lot" read as tools, after deployment) with
        `topic` likelier than nothing. Not when it reads as nothing of ours
        ("i would like thai food") or as about the bot ("who
        is your job with")."""
        first = alone[0][0]
        if first == topic:
            return True
        if first in ("none", ABOUT_TOPIC):
            return False
        p = dict(alone)
        return p.get(topic, 0.0) > p.get("none", 0.0)

    def hear(self, text: str, after_topic: str | None = None) -> Heard:
        """A message read once, for the rules and the follow-up model both.
        `after_topic`: the topic of the turn it follows, in a conversation
        (None: it stands alone), where "the engineers" and "the scientists"
        are the two roles (`_short_role_names`)."""
        cleaned, _ = clean_input(text)
        tokens, corrected = self.tokens(cleaned)
        said = " ".join(strip_vocative(fold(cleaned)).split())
        if after_topic is not None:
            tokens = self._short_role_names(said, tokens, after_topic)
        return Heard(cleaned, tokens, corrected, said)

    def reconsider(self, result: Result, model: FollowUpModel, candidates: list[Candidate]) -> Result:
        """A follow-up's answer: the likeliest of its readings' best entries
        (`candidates`, from `follow_up_candidates`), when likely enough; else
        a decline that suggests them."""
        ranked = model.choose(candidates)
        if not ranked:
            return result
        p, best = ranked[0]
        if p >= self.t.follow_up_pick:
            if isinstance(result, Answer) and result.entry.id == best.entry_id:
                return result
            if not self._may_pick(best.features):
                return result
            return Answer(self.kb.by_id[best.entry_id], round(best.score, 1), (), tokens=best.tokens)
        suggestions = tuple(self.kb.by_id[c.entry_id] for _, c in ranked[: self.t.max_suggestions])
        return Decline(result.score, suggestions, "low-score")

    @staticmethod
    def _may_pick(features: Mapping[str, float]) -> bool:
        """Whether the model may answer otherwise than the rules: the message
        asks (not of the asker's own money), is not about another job, a
        thing of its own, what a word means or a technique (a how-to naming
        no role), is not everyday words pointing back to nothing, and a word
        outside the knowledge's topics ("nurses", "today") or one it does not
        know at all ("timer") comes with a role or a topic word of its own."""
        if not features["t_may_borrow"] or features["t_of_its_own"] or features["t_other_people"]:
            return False
        if features["t_means"] and not (features["t_cue"] or features["t_points_at"]):
            return False  # "what does equity even mean here": a word of its own
        if features["t_generic_only"] and not features["t_points_back"]:
            return False  # "what time is it?": everyday words, pointing back to nothing ("it" is the time)
        if features["t_how_to"] and not features["t_has_role"]:
            return False  # "how do I rebase in git": a technique
        if features["t_stranger"] and not (
            features["t_has_role"] or (features["t_points_at"] and features["t_own_topic"])
        ):
            # "how much do nurses make?", "how long does it take to get a new
            # credit card", "what are my bills this month": about something
            # else, as the rules have it ("it" and "this" do not point back here)
            return False
        return not (features["t_unknown"] and not features["t_own_topic"] and not features["t_has_role"])

    def follow_up_candidates(self, heard: Heard, previous: Turn, result: Result) -> list[Candidate]:
        """A follow-up's readings and their best entries, each with the
        features the follow-up model weighs (bot/followups.py): the message
        (`hear`) alone, with the conversation's roles, with the last
        question's words; the rules' pick (`result`) and the last answer are
        candidates too."""
        idx = self.index
        cleaned, tokens, corrected, said = heard
        words = said.split()
        alone = self.analyse_message(cleaned, tokens, corrected)
        roles = list(previous.roles) or sorted(PERSON_ROLES)
        readings: list[Analysis | None] = [alone, None, None]
        if tokens:
            readings[1] = self.analyse_message(cleaned, list(dict.fromkeys([*tokens, *roles])), corrected)
            readings[2] = self.analyse_tokens(list(dict.fromkeys([*previous.tokens, *tokens])), corrected, cleaned)
        scores = [{sc.entry_id: sc.final for sc in r.scores} if r is not None else {} for r in readings]
        tops = [r.scores[0].entry_id if r is not None and r.scores else None for r in readings]
        rule = result.entry.id if isinstance(result, Answer) else None
        own_topic = sum(1 for tok in tokens if tok not in ROLE_TOKENS and self._topic_word(tok))
        turn = {
            "t_short": float(len(words) <= 5),
            "t_long": float(len(words) > 12),
            "t_has_role": float(any(tok in PERSON_ROLES for tok in tokens)),
            "t_own_topic": min(own_topic, 3) / 3,
            "t_unknown": min(sum(1 for tok in tokens if tok not in idx.vocab), 3) / 3,
            "t_cue": float(_FOLLOW_UP_CUE.match(said) is not None),
            "t_refers": float(bool(_REFERS_BACK.intersection(words) or _REFERS_TO_TOPIC.intersection(words))),
            # not weighed by the model, for `_may_pick`: refers back, not counting "it" ("what time is it?")
            "t_points_back": float(bool(_REFERS_BACK.intersection(words) or {"that", "this"}.intersection(words))),
            # ... nor "this" ("this month"): they, those, that
            "t_points_at": float(bool(_REFERS_BACK.intersection(words) or "that" in words)),
            "t_means": float(_MEANS.search(said) is not None),  # what a word means
            "t_no_tokens": float(not tokens),
            "t_how_to": float(_HOW_TO.match(said) is not None),
            "t_question": float("?" in cleaned),
            "t_of_its_own": float(self._of_its_own(said)),
            "t_rule_answered": float(rule is not None),
            "t_alone_best": alone.scores[0].final / 100 if alone.scores else 0.0,
            "t_coverage": alone.coverage,
            "t_other_people": float(any(tok in _OTHER_PEOPLE for tok in tokens)),
            "t_may_borrow": float(self._may_borrow(cleaned, tokens)),
            "t_generic_only": float(bool(tokens) and all(tok in STEMMED_GENERIC for tok in tokens)),
            "t_topic_share": own_topic / len(tokens) if tokens else 0.0,
            "t_stranger": float(any(not self._known_topic(tok) for tok in tokens if tok not in ROLE_TOKENS)),
        }
        content = [tok for tok in tokens if tok not in ROLE_TOKENS and tok not in STEMMED_GENERIC]
        best_alone = alone.scores[0].final if alone.scores else 0.0
        found: dict[str, tuple[str, ...]] = {}
        if isinstance(result, Answer):
            found[result.entry.id] = result.tokens
        for reading, top in zip(readings, tops, strict=True):
            if top is not None and reading is not None:
                found.setdefault(top, reading.tokens)
        found.setdefault(previous.entry_id, previous.tokens)
        candidates = []
        for entry_id, toks in found.items():
            ei = idx.entry_index.get(entry_id)
            if ei is None:
                continue
            entry = idx.entries[ei]
            own = self._words_of(entry_id) or frozenset()
            features = dict(turn)
            features.update(
                {
                    "bias": 1.0,
                    "rule": float(entry_id == rule),
                    "alone": scores[0].get(entry_id, 0.0) / 100,
                    "with_roles": scores[1].get(entry_id, 0.0) / 100,
                    "with_last": scores[2].get(entry_id, 0.0) / 100,
                    "alone_top": float(entry_id == tops[0]),
                    "with_roles_top": float(entry_id == tops[1]),
                    "with_last_top": float(entry_id == tops[2]),
                    "last": float(entry_id == previous.entry_id),
                    "agree": sum(entry_id == top for top in tops) / 3,
                    "same_topic": float(entry.topic == previous.topic),
                    "about": float(entry.topic == ABOUT_TOPIC),
                    "one_role": float(idx.entry_role[ei] is not None),
                    "fit": sum(tok in own for tok in content) / len(content) if content else 0.5,
                    "margin": (scores[0].get(entry_id, 0.0) - best_alone) / 100,
                }
            )
            interactions(features)
            score = max(sc.get(entry_id, 0.0) for sc in scores)
            if isinstance(result, Answer) and entry_id == rule:
                score = result.score
            candidates.append(Candidate(entry_id, score, toks, features))
        return candidates

    def match_rules(self, text: str, previous: Turn | None = None) -> Result:
        """The rules' answer (`match` without the follow-up model)."""
        return self._match_rules(self.hear(text, None if previous is None else previous.topic), previous)

    def _match_rules(self, heard: Heard, previous: Turn | None) -> Result:
        cleaned, tokens, corrected, said = heard
        if previous is not None and previous.topic != ABOUT_TOPIC and previous.tokens:
            # "why?", "like what?", and a question about "that" in everyday
            # words ("is that a good thing?", "why does that matter?"): the
            # last answer again
            about_that = (
                _QUESTION.search(cleaned.strip()) is not None
                and (_THAT.search(said) is not None or _IS_IT.match(said) is not None)
                and all(tok in STEMMED_GENERIC and tok not in STEMMED_TOPIC_GENERIC for tok in tokens)
            ) or self._judges_that(cleaned, said, tokens, previous)
            # "is that true in Europe too?", "does that hold everywhere?": the
            # last answer, of a place or a case the knowledge need not know
            held = _HOLDS.fullmatch(said)
            holds = held is not None and self._holds(self.tokens(held.group("where") or "")[0], previous)
            case = _IS_THAT.fullmatch(said) if not holds else None
            if case is not None:
                rest = self.tokens(case.group("rest"))[0]
                holds = bool(rest) and self._holds(rest, previous) and not any(tok in ROLE_TOKENS for tok in rest)
            if previous.entry_id == self.index.liking_entry and _LIKING_TOLD.match(said):
                # "what if I like both?", "and someone who loves open questions?" after how to choose
                return self._last_answer(previous, corrected, cleaned)
            if _OPINION.fullmatch(said):
                # asked for the bot's own pick: how to choose between the roles
                choice = [stem("choose"), *(previous.roles or sorted(PERSON_ROLES))]
                result = self.decide(self.analyse_tokens(choice, corrected, cleaned))
                if isinstance(result, Answer):
                    return replace(result, tokens=tuple(choice), settled=True)
            if _SOURCE_ASK.fullmatch(said):
                return replace(self._last_answer(previous, corrected, cleaned), sources_only=True)
            if _GO_ON.fullmatch(said) or _BARE_ASK.fullmatch(said) or about_that or holds:
                return self._last_answer(previous, corrected, cleaned)
            if self.t.places_keep_last and _only_places(said.split()):
                # "what about london", "germany specifically", "the netherlands
                # or switzerland?": the last question, of the places named
                return self._last_answer(previous, corrected, cleaned)
            if _OTHER_WAY.fullmatch(said):
                return self._other_way(previous, corrected, cleaned) or self._last_answer(previous, corrected, cleaned)
        if not tokens:
            return Decline(0.0, (), "empty")
        scope = _SCOPE.search(said)
        if scope is not None:
            # asked whether the bot covers something: the entry about the bot
            # closest to the asking words, whatever the something is
            asked = said[: scope.end()]
            close = self._self_match(asked, self.tokens(asked)[0])
            if close is not None:
                return Answer(self.kb.by_id[close[0]], round(close[1], 1), (), tokens=(SELF,))
        tokens = self._implied_roles(said, tokens)
        if previous is not None:
            leveled = self._at_a_level(cleaned, said, tokens, corrected, previous)
            if leveled is not None:
                return leveled
            borrowed = self.follow_up_tokens(said, tokens, previous)
            if borrowed is not None:
                analysed = self.analyse_tokens(borrowed, corrected, cleaned)
                same = self._same_for_role(tokens, analysed, previous)
                if same is not None:
                    return same
                result = self.decide(analysed)
                # "what about data engineers?", "and how much do software
                # developers make?": about other people, answered only by the
                # entry asked about them most
                others = [tok for tok in tokens if tok in _OTHER_PEOPLE]
                if isinstance(result, Answer) and all(self._most_about(result.entry.id, tok) for tok in others):
                    # given only the conversation's roles, it must ask, and fit in its own words
                    roles_only = set(borrowed) - set(tokens) <= PERSON_ROLES
                    if not roles_only or (
                        self._may_borrow(cleaned, tokens)
                        and self._own_words_fit(result.entry.id, tokens, corrected, cleaned)
                    ):
                        # "compared to an MLE?", "vs a data scientist?": the other
                        # role set against the last answer's, and nothing else
                        # asked; the rules' reading stands
                        contrast = _COMPARES.match(said) is not None and all(tok in PERSON_ROLES for tok in tokens)
                        return replace(result, tokens=tuple(borrowed), settled=result.settled or contrast)
        a = self.analyse_message(cleaned, tokens, corrected)
        result = self.decide(a)
        if isinstance(result, Answer):
            return replace(result, tokens=a.tokens)
        if previous is not None:
            going_on = self._going_on(cleaned, said, tokens, corrected, previous)
            if going_on is not None:
                return going_on
        return result

    def _judges_that(self, cleaned: str, said: str, tokens: list[str], previous: Turn) -> bool:
        """A short word on the last answer itself ("that seems low", "that
        sounds odd", "isn't that too simple?", "what's wrong with it?"): it
        refers back and names no topic, role or person of its own; asked as
        a question rather than said as a verdict, each word is everyday or one
        the last entry knows ("is that a good laptop?" is not about it)."""
        words = said.split()
        if len(words) > 9 or not (_THAT.search(said) or _REFERS_TO_IT.search(said)):
            return False
        judged = _JUDGES.match(said) is not None
        if not (judged or (tokens and _QUESTION.search(cleaned.strip()))):
            return False
        own = self._words_of(previous.entry_id)
        if own is None:
            return False
        return all(
            (judged and tok in _JUDGING)
            or (
                tok not in STEMMED_TOPIC_GENERIC
                and tok not in ROLE_TOKENS
                and tok not in _OTHER_PEOPLE
                and not self._topic_word(tok)
                and (judged or tok in STEMMED_GENERIC or tok in own)
            )
            for tok in tokens
        )

    @staticmethod
    def _of_its_own(said: str) -> bool:
        """A question that defines or picks a thing of its own ("what is a
        feature store?", "should I use FastAPI or gRPC?"), not said as a
        follow-up ("and what's ...", "... then?") nor pointing back ("what's a
        good latency for that?", "what do they use"); "it" is most often the
        thing itself ("what is SHAP and how do I use it")."""
        words = said.split()
        return (
            _OF_ITS_OWN.match(said) is not None
            and _FOLLOW_UP_CUE.match(said) is None
            and words[-1:] != ["then"]
            and not _REFERS_BACK.intersection(words)
            and _THAT.search(said) is None
        )

    def _other_way(self, previous: Turn, corrected: dict[str, str], cleaned: str) -> Answer | None:
        """The last question of the other role ("and the other one?" after
        what a data scientist does), when it named one role; None when it
        named both or neither (a move or a comparison reads the same either
        way round) or the other role's reading is declined."""
        named = PERSON_ROLES.intersection(previous.tokens)
        if len(named) != 1:
            return None
        (role,) = named
        (other,) = PERSON_ROLES - named
        toks = [other if tok == role else tok for tok in previous.tokens]
        result = self.decide(self.analyse_tokens(toks, corrected, cleaned))
        if not isinstance(result, Answer):
            return None
        return replace(result, tokens=tuple(toks), settled=True)

    def _last_answer(self, previous: Turn, corrected: dict[str, str], cleaned: str) -> Answer:
        """The last answer again ("why?", "like what?", "where's that
        from?"), scored on the last question's words."""
        a = self.analyse_tokens(list(previous.tokens), corrected, cleaned)
        score = next((sc.final for sc in a.scores if sc.entry_id == previous.entry_id), 0.0)
        return Answer(self.kb.by_id[previous.entry_id], round(score, 1), (), tokens=previous.tokens, settled=True)

    def _at_a_level(
        self, cleaned: str, said: str, tokens: list[str], corrected: dict[str, str], previous: Turn
    ) -> Answer | None:
        """A short follow-up of a seniority and everyday words ("and for
        juniors there?", "at senior level?", "entry level MLE?"): the last
        entry, asked at that level, when it still answers with these words
        and is not about the other role."""
        if not self.t.level_keeps_last or previous.topic == ABOUT_TOPIC:
            return None
        if len(said.split()) > self.t.follow_up_max_words + 3 or _HOW_TO.match(said):
            return None
        if not any(tok in _LEVELS for tok in tokens):
            return None
        if any(tok not in _LEVELS and tok not in PERSON_ROLES and tok not in _EVERYDAY for tok in tokens):
            return None
        # said as a follow-up ("and ...", "at ...", "what about ...", or the
        # level and nothing else: "juniors?"), not "what does senior mean"
        lead = _LEVEL_LEAD.sub("", said)
        bare = len(lead.split()) <= 2 and all(tok in _LEVELS for tok in tokens)
        if not (_FOLLOW_UP_CUE.match(lead) or _FRAGMENT.match(lead) or bare):
            return None
        idx = self.index
        ei = idx.entry_index.get(previous.entry_id)
        if ei is None:
            return None
        role = idx.entry_role[ei]
        if role is not None and any(tok in PERSON_ROLES and tok != role for tok in tokens):
            return None
        toks = list(dict.fromkeys([*previous.tokens, *tokens]))
        b = self.analyse_tokens(toks, corrected, cleaned)
        score = next((sc.final for sc in b.scores if sc.entry_id == previous.entry_id), None)
        if score is None or score < self.t.continuing_answer:
            return None
        return Answer(self.kb.by_id[previous.entry_id], round(score, 1), (), tokens=previous.tokens, kept=True)

    def _may_borrow(self, cleaned: str, tokens: Sequence[str]) -> bool:
        """Whether a follow-up with nothing of the last question's words may
        take the conversation's roles or topic: it is asked (a question, a
        cue, a correction: not "stop this process", "350 set the oven") or
        typed as a search query (`_keyword_query`), and not of the asker's
        own pay slip ("what's my salary")."""
        said = " ".join(fold(cleaned).split())
        if _OWN_MONEY.search(said):
            return False
        return not self.t.follow_up_asks or _asks(cleaned) or self._keyword_query(said, tokens)

    def _keyword_query(self, said: str, tokens: Sequence[str]) -> bool:
        """A follow-up typed as one types into a search box: a few words
        (`Thresholds.keyword_query_words`) as typed (no typo read into
        them), besides role names each one of the entries' one-word
        keywords, or together one of their longer ones ("kafka" after
        pipelines, "bootcamp" after degrees, "pager duty" after a typical
        day). Everyday words ("ok cool", "sounds stressful", "thanks man":
        "man" only of "one-man band"), and words the knowledge does not know
        ("pizza"), are not one."""
        if not 0 < len(said.split()) <= self.t.keyword_query_words or content_tokens(said) != list(tokens):
            return False
        idx = self.index
        rest = tuple(tok for tok in tokens if tok not in ROLE_TOKENS)
        return bool(rest) and (all(tok in idx.keyword_vocab for tok in rest) or rest in idx.keyword_phrases)

    def _own_words_fit(self, entry_id: str, tokens: list[str], corrected: dict[str, str], cleaned: str) -> bool:
        """A follow-up given the conversation's roles ("what skills would I
        be missing?") must fit its entry in its own words too: the roles fit
        every entry, so "turn up the volume" would ride on them."""
        own = self.analyse_tokens(tokens, corrected, cleaned)
        score = next((sc.final for sc in own.scores if sc.entry_id == entry_id), 0.0)
        return score >= self.t.borrow_own_score

    def _words_of(self, entry_id: str) -> frozenset[str] | None:
        """Every word an entry is asked or answered with (None: no such entry)."""
        idx = self.index
        ei = idx.entry_index.get(entry_id)
        return None if ei is None else idx.entry_vocab[ei] | idx.body_all[ei]

    def _holds(self, tokens: list[str], previous: Turn) -> bool:
        """Whether the words of "is that true in X too?" keep to the last
        answer's topic: each is generic, one the last entry knows (question
        or answer), or unknown (a place, a company: at most `holds_unknown`)."""
        idx = self.index
        own = self._words_of(previous.entry_id)
        if own is None:
            return False
        unknown = [tok for tok in tokens if tok not in idx.vocab]
        return len(unknown) <= self.t.holds_unknown and all(
            tok in STEMMED_GENERIC or tok in own or tok not in idx.vocab for tok in tokens
        )

    def _same_for_role(self, tokens: list[str], a: Analysis, previous: Turn) -> Answer | None:
        """A follow-up of a role alone ("and for DS?", "same for MLEs?")
        asks the last answer's question of that role: the same entry when it
        is not about one role and still scores (not a new entry that the
        previous words fit better with the new role)."""
        if not self.t.same_for_role or not tokens or any(tok not in PERSON_ROLES for tok in tokens):
            return None
        ei = self.index.entry_index.get(previous.entry_id)
        if ei is None or self.index.entry_role[ei] is not None:
            return None
        score = next((sc for sc in a.scores if sc.entry_id == previous.entry_id), None)
        if score is None or score.final < self.t.answer:
            return None
        return Answer(self.kb.by_id[previous.entry_id], round(score.final, 1), (), tokens=a.tokens)

    def _going_on(
        self, cleaned: str, said: str, tokens: list[str], corrected: dict[str, str], previous: Turn
    ) -> Answer | None:
        """A follow-up that stays on the conversation's topic, in words of its
        own ("is Scala worth learning?", "how often is that done?" after
        retraining): answered when, with the conversation's roles, its best
        entry is of the previous turn's topic. Not a how-to of one's own ("how
        do I write a flask app?") nor one with a word the knowledge is not
        asked with ("and how much do nurses make?")."""
        if previous.topic == ABOUT_TOPIC or not tokens or _HOW_TO.match(said) or _MEANS.search(said):
            return None
        if self._of_its_own(said):
            return None
        if not self._may_borrow(cleaned, tokens):
            return None
        if any(not self._known_topic(tok) for tok in tokens if tok not in ROLE_TOKENS):
            return None
        roles = [tok for tok in tokens if tok in PERSON_ROLES] or list(previous.roles) or sorted(PERSON_ROLES)
        toks = list(dict.fromkeys([*tokens, *roles]))
        b = self.analyse_message(cleaned, toks, corrected)
        if not b.scores or b.coverage < self.t.coverage_with_role:
            return None
        first = b.scores[0]
        entry = self.kb.by_id[first.entry_id]
        others = [tok for tok in tokens if tok in _OTHER_PEOPLE]
        if not all(self._most_about(entry.id, tok) for tok in others):
            return None  # "what about software engineers, how much do they make?"
        if (
            entry.topic == previous.topic
            and first.final >= self.t.continuing_answer
            and self._own_words_fit(entry.id, tokens, corrected, cleaned)
        ):
            return Answer(entry, round(first.final, 1), (), tokens=b.tokens)
        if (
            not self.t.going_on_with_last
            or not any(self._topic_word(tok) for tok in tokens)
            or any(tok in _OTHER_PEOPLE for tok in tokens)
        ):
            return None
        # "containers?" after deployment: the last question with these words,
        # answered by the last entry itself
        toks = list(dict.fromkeys([*previous.tokens, *tokens]))
        b = self.analyse_tokens(toks, corrected, cleaned)
        if not b.scores or b.scores[0].entry_id != previous.entry_id or b.scores[0].final < self.t.going_on_last_answer:
            return None
        return Answer(self.kb.by_id[previous.entry_id], round(b.scores[0].final, 1), (), tokens=b.tokens)

    def _short_role_names(self, said: str, tokens: list[str], after_topic: str) -> list[str]:
        """A follow-up's "the engineers" and "the scientists" as the roles'
        tokens ("and for the scientists?", "at what step does the engineer
        take over"), unless it follows a turn about the bot or also names
        such a person in full ("data engineers", "software engineers",
        "research scientists")."""
        if not self.t.short_role_names or after_topic == ABOUT_TOPIC:
            return tokens
        bare: dict[str, bool] = {}  # by token: said alone every time
        for m in _SHORT_ROLE.finditer(said):
            tok = stem(m.group("word").removesuffix("s"))
            lead = m.group("lead")
            bare[tok] = bare.get(tok, True) and (lead is None or lead in _SHORT_ROLE_LEADS)
        short = {tok for tok, alone in bare.items() if alone}
        if not short:
            return tokens
        return list(dict.fromkeys(_SHORT_ROLE_TOKENS[tok] if tok in short else tok for tok in tokens))

    def _implied_roles(self, said: str, tokens: list[str]) -> list[str]:
        """A question naming no role, made only of words that in this bot ask
        about the roles ("difference", "example", "salary") and everyday
        words, is about both roles: "tell me the main difference in one
        sentence", "got an example?". Not "how much do I earn" (the asker's
        own), "how much do they make" (someone unnamed), a how-to, or one with
        any other word ("difference between bagging and boosting"). `said`:
        the message's words, folded, the bot's name dropped."""
        idx = self.index
        if any(tok in ROLE_TOKENS or tok == SELF for tok in tokens):
            return tokens
        if not any(tok in _ROLE_ASKS for tok in tokens):
            return tokens
        if not all(
            tok in idx.vocab and (tok in STEMMED_GENERIC or tok in STEMMED_TOPIC_GENERIC or tok in _ROLE_ASKS)
            for tok in tokens
        ):
            return tokens
        said = _TELL_ME.sub(" ", said)  # "tell me the main difference" is not about the asker
        if _ASKERS_OWN.search(said) or _HOW_TO.match(said) or _REFERS_BACK.intersection(said.split()):
            return tokens
        return [*tokens, *sorted(PERSON_ROLES)]

    def _with_views(self, whole: Analysis, views: list[Analysis]) -> Analysis:
        """The whole message's scores, each entry's blended with its best
        score in a question sentence: the ask weighs as much as the story."""
        w = self.t.view_weight
        best: dict[str, Score] = {}
        for v in views:
            for sc in v.scores:
                if sc.entry_id not in best or sc.final > best[sc.entry_id].final:
                    best[sc.entry_id] = sc
        scored = []
        for sc in whole.scores:
            vs = best.get(sc.entry_id)
            if vs is None:
                scored.append(sc)
                continue
            scored.append(
                Score(
                    sc.entry_id,
                    (1 - w) * sc.final + w * max(vs.final, sc.final),
                    max(sc.fuzz, vs.fuzz),
                    max(sc.overlap, vs.overlap),
                    max(sc.cosine, vs.cosine),
                    max(sc.vote, vs.vote),
                )
            )
        _rank(scored)
        asks = [v.scores[0] for v in views if v.scores]
        ask = max(asks, key=lambda sc: sc.final) if asks else None
        return replace(whole, scores=tuple(scored), ask=ask)

    def _ask_views(self, cleaned: str, tokens: list[str]) -> list[list[str]]:
        """A long message tells a story, then asks ("I'm a backend dev with
        six years of experience. Is MLE the natural next step?"): each of its
        question sentences, with the roles the message names, is a view of
        what is asked; so is a clause that asks after a comma or colon ("I've
        been a nurse for ten years, which role would suit me?"). A message of
        one sentence and one clause has none."""
        sentences = [c.strip() for s in _SENTENCE_END.split(cleaned) for c in _ASKING_CLAUSE.split(s) if c.strip()]
        if len(sentences) < 2:
            return []
        roles = [tok for tok in tokens if tok in ROLE_TOKENS]
        views: list[list[str]] = []
        for sentence in sentences:
            if not _QUESTION.search(sentence):
                continue
            toks, _ = self.tokens(sentence)  # a sentence put to the bot is about it, as alone
            if not toks or toks == tokens:
                continue
            if not any(tok in ROLE_TOKENS for tok in toks):
                toks = [*toks, *roles]
            views.append(toks)
        return views

    def follow_up_tokens(self, said: str, tokens: list[str], previous: Turn) -> list[str] | None:
        """What a follow-up asks once completed from the previous turn, or
        None when it stands alone or cannot borrow. `said`: the message's
        words, folded, the bot's name dropped.

        - A role and nothing of its own ("and data scientists?", "what about
          MLEs?", "ML engineers?"), or a role and "it"/"that" ("do data
          scientists need to learn it too?"): the previous question, with
          this role.
        - A topic but no role ("and how much do they make?", "what skills
          would I be missing?"): this question, about the conversation's roles.
        - Neither, but it continues ("what about big companies?"): the
          previous question with these words, if every word is one the
          knowledge knows.
        - Anything else ("what's the weather in London", "how do I version
          my code with git"): it is judged alone.
        """
        if previous.topic == ABOUT_TOPIC:
            return None  # after "who are you", a question stands alone
        idx = self.index
        roles = [tok for tok in tokens if tok in PERSON_ROLES]
        rest = [tok for tok in tokens if tok not in PERSON_ROLES and tok != SELF]
        known_rest = [tok for tok in rest if tok in idx.vocab]
        all_known = len(known_rest) == len(rest)
        own_topic = [tok for tok in known_rest if self._topic_word(tok)]
        topical = own_topic or [tok for tok in known_rest if tok in STEMMED_TOPIC_GENERIC]
        words = said.split()
        # "which should I pick then?": "then" at the end refers back too
        cue = _FOLLOW_UP_CUE.match(" ".join(words)) is not None or words[-1:] == ["then"]
        refers = bool(_REFERS_BACK.intersection(words))
        refers_topic = bool(_REFERS_TO_TOPIC.intersection(words)) or _ONE.search(" ".join(words)) is not None
        short = len(words) <= self.t.follow_up_max_words
        kept = [tok for tok in previous.tokens if tok not in PERSON_ROLES]
        if roles:
            if (
                own_topic
                or (topical and not refers_topic)
                or any(tok in _NAMED_TOPICS or tok in _MOVE_OR_CHOICE for tok in known_rest)
            ):
                return None  # it names its own topic ("and from there to MLE?" asks to switch): it stands alone
            if not (cue or short or refers_topic):
                return None
            if _COMPARES.match(" ".join(words)):
                # "vs a DS?", "and from an ML engineer?" after one role: both
                roles = list(dict.fromkeys([*previous.roles, *roles]))
            return list(dict.fromkeys([*roles, *kept, *known_rest]))
        if topical and all_known and _FRAGMENT.match(" ".join(words)) and len(words) <= self.t.follow_up_max_words + 2:
            # "at senior level?", "in India specifically?" after a question
            # about pay: the last question, narrowed
            return list(dict.fromkeys([*previous.tokens, *known_rest]))
        place = _WHERE_FRAGMENT.match(" ".join(words)) and len(words) <= self.t.follow_up_max_words + 1
        if place and self._holds(rest, previous):
            # "in London?", "and at Google?": the last question, of a place
            return list(dict.fromkeys([*previous.tokens, *known_rest]))
        if not topical:
            # "what about big companies?" after startups: words of the knowledge's
            # topics, or of the entry just answered ("big companies like google":
            # a name it does not know may ride along); "and the football?" is not.
            ei = idx.entry_index.get(previous.entry_id)
            said = {w for w, n in idx.uses[ei].items() if n >= 2} if ei is not None else set()
            fits = [tok for tok in known_rest if self._topic_word(tok) or tok in STEMMED_GENERIC or tok in said]
            if (
                cue
                and rest
                and (len(fits) == len(rest) or (any(tok in said for tok in fits) and len(fits) * 2 >= len(rest)))
            ):
                return list(dict.fromkeys([*previous.tokens, *known_rest]))
            return None
        # A how-to of one's own ("how do I version my code with git") asks
        # about a technique, not the roles: it must say it follows on.
        # Said without a cue, only a topic named outright counts: a topic word
        # of the knowledge's ("salary", "skills"), or two ("thanks, have a good
        # day" names a day, not the day-to-day; "what's a good laptop" a laptop).
        # topic words that tell an entry apart ("ml" is asked of every entry)
        telling = [tok for tok in own_topic if idx.asked_df.get(tok, 0) * 3 <= len(idx.entries)]
        loose = (
            all_known
            and all(self._topic_word(tok) or tok in STEMMED_GENERIC for tok in known_rest)
            and len(words) <= self.t.follow_up_max_known_words
            and not _HOW_TO.match(" ".join(words))
            and (len(telling) >= 2 or any(tok in _NAMED_TOPICS for tok in known_rest))
        )
        if not (cue or refers or short or loose or _REFERS_TO_IT.search(" ".join(words))):
            return None
        if (_MEANS.search(" ".join(words)) and not (cue or refers)) or self._of_its_own(" ".join(words)):
            return None  # what a word means, or "what is a feature store?": of its own
        if not refers and any(not self._known_topic(tok) for tok in rest):
            return None  # "and how much do nurses make?": about someone else
        if (
            cue
            and len(words) <= 3
            and not any(tok in _NAMED_TOPICS or tok in _MOVE_OR_CHOICE or tok in _ROLE_ASKS for tok in tokens)
        ):
            # "and coding?" after "which one uses more math?": that question, of coding
            return list(dict.fromkeys([*previous.tokens, *tokens]))
        conversation_roles = list(previous.roles) or sorted(PERSON_ROLES)
        return list(dict.fromkeys([*tokens, *conversation_roles]))

    def decide(self, a: Analysis) -> Result:
        t = self.t
        by_id = self.kb.by_id
        if a.self_match is not None:
            self_id, self_score = a.self_match
            if self_score >= t.self_fuzz:
                return Answer(by_id[self_id], round(self_score, 1), ())
            return Decline(self_score, (by_id[self_id],), "small-talk")
        if not a.scores:
            return Decline(0.0, (), "unknown-words")
        best_id, best, best_fuzz = a.scores[0].entry_id, a.scores[0].final, a.scores[0].fuzz
        suggestions = tuple(by_id[s[0]] for s in a.scores[: t.max_suggestions] if s[1] >= t.suggest)
        if not (a.has_role or a.has_domain):
            return Decline(best, suggestions, "off-topic")
        need_cov = t.coverage_with_role if a.has_role else t.coverage_without_role
        need_score = t.answer if a.has_role else t.answer_without_role
        if a.coverage < need_cov:
            return Decline(best, suggestions, "unknown-words")
        # Role names and nothing else the knowledge knows ("DS vs MLE in one
        # sentence"): the fuzzy match alone decides, when it is close, since
        # role names weigh next to nothing in the overlap.
        role_only = a.has_role and a.domain_words == 0 and len(a.tokens) - len(a.known) <= t.role_only_unknown
        if best < need_score and not (role_only and best_fuzz >= t.role_only_fuzz) and not self._clear_lead(a):
            return Decline(best, suggestions, "low-score")
        # Naming no role: a close phrasing answers (fuzz), or an entry whose
        # every part agrees (the final score).
        close = best >= t.no_role_final
        if not a.has_role and not a.asks_who and a.domain_words == 1 and best_fuzz < t.lone_word_fuzz and not close:
            return Decline(best, suggestions, "low-score")
        # Asking who, on one topic word and no role ("who deploys models?"):
        # a higher score ("who am I speaking with" is small talk).
        if not a.has_role and a.asks_who and a.domain_words == 1 and best < t.who_lone_answer:
            return Decline(best, suggestions, "low-score")
        # Naming no role and not asking who does something, a question is
        # most often about a technique or a tool ("how do I version my code
        # with git", "what is feature engineering"): only a close phrasing
        # answers it.
        if not a.has_role and not a.asks_who and best_fuzz < t.no_role_fuzz and not close:
            return Decline(best, suggestions, "low-score")
        # "How do I reduce inference latency?", "how to deploy a flask app":
        # how to do a thing, naming no role, is a technique question unless
        # the knowledge is asked it nearly word for word.
        if not a.has_role and not a.asks_who and a.how_to and SELF not in a.tokens and best_fuzz < t.how_to_fuzz:
            return Decline(best, suggestions, "low-score")
        runners = tuple(
            by_id[s[0]]
            for s in a.scores[1 : 1 + t.runners_up]
            if s[1] >= best - t.runner_up_margin and s[1] >= t.suggest
        )
        return Answer(by_id[best_id], round(best, 1), runners, second=self._second_part(a, by_id[best_id]))

    def _clear_lead(self, a: Analysis) -> bool:
        """A long message naming a role whose best entry scores at least
        `long_answer` and leads the best entry of any other topic by
        `long_margin`."""
        t = self.t
        if not a.has_role or len(a.tokens) < t.long_words or a.scores[0].final < t.long_answer:
            return False
        by_id = self.kb.by_id
        first = a.scores[0]
        topic = by_id[first.entry_id].topic
        rival = next((s.final for s in a.scores[1:] if by_id[s.entry_id].topic != topic), 0.0)
        if first.final - rival >= t.long_margin:
            return True
        # what its question sentence asks agrees, and is asked clearly
        ask = a.ask
        return ask is not None and ask.final >= t.long_ask and by_id[ask.entry_id].topic == topic

    def _second_part(self, a: Analysis, first: Entry) -> Entry | None:
        """The entry that answers what the best one leaves out of a question
        of several parts ("skills and salary of an MLE"): the topic words the
        best entry is not asked with, mostly known to one other entry of
        another topic. Offered first among the related entries."""
        idx = self.index
        ei_of = idx.entry_index
        first_vocab = idx.entry_vocab[ei_of[first.id]]
        left = [
            tok for tok in a.known if tok not in first_vocab and (self._topic_word(tok) or tok in STEMMED_TOPIC_GENERIC)
        ]
        if not left:
            return None
        need = sum(idx.idf[tok] for tok in left)
        best: tuple[float, str] | None = None
        for entry_id, final, *_ in a.scores[1 : 1 + self.t.second_part_depth]:
            entry = idx.entries[ei_of[entry_id]]
            if entry.topic == first.topic or final < self.t.suggest:
                continue
            share = sum(idx.idf[tok] for tok in left if tok in idx.entry_vocab[ei_of[entry_id]]) / need
            if share >= self.t.second_part_share and (best is None or share > best[0]):
                best = (share, entry_id)
        return self.kb.by_id[best[1]] if best else None

    # -- autocomplete --------------------------------------------------------

    def complete(self, partial: str, limit: int = 25, max_len: int = 100) -> list[str]:
        """Knowledge questions ranked for a partly typed question."""
        cleaned, _ = clean_input(partial)
        questions = [q for e in self.kb.entries for q in e.questions if len(q) <= max_len]
        if not cleaned.strip():
            firsts = [e.questions[0] for e in self.kb.entries if len(e.questions[0]) <= max_len]
            return firsts[:limit]
        hits = process.extract(cleaned, questions, scorer=fuzz.WRatio, processor=_lower, limit=limit * 2)
        out: list[str] = []
        for q, _, _ in hits:
            if q not in out:
                out.append(q)
            if len(out) == limit:
                break
        return out


def _rank(scores: list[Score]) -> None:
    """Best first, equal scores by entry id: two stable sorts on C keys,
    the order of sorting by (-final, entry_id)."""
    scores.sort(key=_BY_ID)
    scores.sort(key=_BY_FINAL, reverse=True)


_BY_ID = itemgetter(0)
_BY_FINAL = itemgetter(1)


def _lower(s: str) -> str:
    return s.casefold()
