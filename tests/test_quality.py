"""Answer quality by kind of question, as people write them: what is asked,
chat talk, misspellings, questions about the bot, near misses, several parts,
and follow-ups in a conversation. General cases, several phrasings each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.context import Conversations, Turn
from bot.engine import Answer, Decline, Engine
from bot.service import Asker, RoleDiff

ROOT = Path(__file__).resolve().parent.parent


def topic_of(engine: Engine, text: str) -> str | None:
    result = engine.match(text)
    return result.entry.topic if isinstance(result, Answer) else None


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        # the role names come with chat talk around them
        ("hey bot, ML engineer vs data scientist?", "difference"),
        ("@role-diff whats the diffrence between ds and mle", "difference"),
        ("hi role-diff! data sci vs ml eng?", "difference"),
        ("TL;DR data scientist vs ML engineer pls", "difference"),
        # "explain like I'm five": the difference, or its analogy (the tuning sets' writers say both)
        ("ELI5: DS vs MLE", "difference|analogy"),
        ("quick question: how do data scientists and ML engineers differ?", "difference"),
        ("yo bot what tools do ML engineers use", "tools"),
        ("ok bot, how much do data scientists make?", "salary"),
        # how long the answer should be says nothing about what is asked
        ("explain mlops in 3 sentences", "mlops"),
        ("ds vs mle in two lines pls", "difference"),
        ("what does an ML engineer do, in simple words", "ml-engineer"),
        ("simply put, what does a data scientist do?", "data-scientist"),
        # chat spellings: "r u" is "are you", "data eng" a data engineer; "R" alone stays the language
        ("what r u", "about"),
        ("data eng vs ml eng, whats the diff", "other-roles"),
        ("do data scientists still use R?", "tools"),
        # chat shorthand: "w/", "n", "rn", "gimme", "idk", "ngl", "ppl"
        ("gimme the tools ds n mle use rn", "tools"),
        ("ngl idk what skills an mle needs w/ python", "skills"),
        ("team of 3 ppl, full stack ds or specialised roles?", "team-structure"),
        # chat spellings of everyday words: "shud", "b4", "wats", "dunno", "wud", "hw", "abt"
        ("shud i learn docker b4 applying for mle jobs", "tools"),
        ("dunno if ds or mle, wud mle pay more", "salary"),
        ("hw much do mles make abt", "salary"),
        # how big a difference is said to be says nothing of what it is
        ("what's the biggest difference between the two roles?", "difference"),
        ("what is the fundamental difference between a DS and an MLE", "difference"),
        # greetings, forms of address and thanks in other languages or Englishes
        ("halo, can you explain the job of an ML engineer?", "ml-engineer"),
        ("hola! cuanto gana un data scientist... sorry, how much does a data scientist make?", "salary"),
        ("namaste sir, kindly tell me the skills needed for ML engineer", "skills"),
        ("dear bot, what is mlops", "mlops"),
        ("danke! and what tools does an MLE use?", "tools"),
    ],
)
def test_chat_talk_is_filler(engine: Engine, text: str, topic: str) -> None:
    assert topic_of(engine, text) in topic.split("|")


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("who gets paid better", "salary"),
        ("who earns more, DS or MLE?", "salary"),
        ("which one pays more", "salary"),
        ("how much does a machine learning engineer make", "salary"),
        ("and how much do data scientists make?", "salary"),
        # what a hire costs, and the going rate
        ("what would an ML engineer cost us in the US?", "salary"),
        ("roughly how much would hiring a data scientist cost", "salary"),
        ("what's the going rate for an ML engineer", "salary"),
        # ... not what a thing costs
        ("how much does it cost to deploy a model", None),
    ],
)
def test_pay_asked_without_the_word_salary(engine: Engine, text: str, topic: str | None) -> None:
    assert topic_of(engine, text) == topic


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("what skils does a machine lerning enginer need", "skills"),
        ("machine learning enginner salary", "salary"),
        ("data scienist vs machine lerning engneer", "difference"),
        ("what toools do data scientsts use", "tools"),
        # one letter off, and the wrong word is itself a word
        ("what does a machine leaning engineer do all day", "day-to-day"),
        ("date scientist salary", "salary"),
        ("how do I move from data science to machine learning engineers work", "switching"),
        # two letters off (three in the long name), each word's first letter right
        ("what does an ML engiber own", "ml-engineer"),
        ("typical week of a ml engnier", "day-to-day"),
        ("dara sceintist vs ml engineer", "difference"),
        ("skills for a machne lerning enginer", "skills"),
    ],
)
def test_misspelt_role_names_written_out(engine: Engine, text: str, topic: str) -> None:
    assert topic_of(engine, text) == topic


def test_a_name_one_letter_off_a_role_is_not_always_the_role() -> None:
    from bot.text import content_tokens

    assert "mlengineer" in content_tokens("machine leaning engineer", lambda w: w)
    assert "mlengineer" not in content_tokens("machine learning engine design", lambda w: w)
    assert "datascientist" not in content_tokens("big data center", lambda w: w)
    assert "mlengineer" in content_tokens("ml engiber", lambda w: w)
    assert "mlengineer" not in content_tokens("ml engine", lambda w: w)  # two off, but short
    assert "datascientist" not in content_tokens("data scientific method", lambda w: w)


@pytest.mark.parametrize(
    "text",
    [
        "who are you",
        "who are u?",
        "who are you and what can you do?",
        "what are you? where do your answers come from?",
        "what can you do",
        "what can u do?",
        "where does your information come from",
        "what are your sources",
        "what is this bot?",
        "what kinds of questions can I ask you?",
        # a story around it, the question put to the bot
        "What topics can you help with? I'm thinking about a career change and want to know if this is the place.",
        "I'm new to this workspace. Where does your information come from?",
        # whether the bot covers something, though the something is of the domain
        "can you also answer questions about ML engineering interviews?",
        "could you help me with questions about data science jobs?",
        "are you only for DS vs MLE questions?",
    ],
)
def test_questions_about_the_bot_itself(engine: Engine, text: str) -> None:
    assert topic_of(engine, text) == "about"


@pytest.mark.parametrize(
    "text",
    [
        "how are you",
        "what do you do after work",
        # (not "where are you from": the topic model reads it as where the
        # bot's knowledge comes from, as it reads CLINC's "what place are you
        # from", and answers with the entry about the bot, which the issue
        # counts as fine within CLINC's 1 %)
        "what are you feeling today",
        "thanks for your help",
        "what is your favourite colour",
        "how are you and what did you do this weekend",
        # asking who, on one word the knowledge happens to know
        "who am I speaking with",
        "can you tell me who is calling me",
        # help asked with something else, not questions about the bot's subject
        "can you help me with my python homework?",
        "could you help me with my tax return",
    ],
)
def test_small_talk_to_the_bot_is_declined(engine: Engine, text: str) -> None:
    assert topic_of(engine, text) is None


@pytest.mark.parametrize(
    "text",
    [
        "what is feature engineering",
        "how do I version my code with git",
        "how do I write unit tests for my model code",
        "how much do software engineers make",
        "how do I build an etl pipeline in airflow",
        "how to clean data in pandas",
        "what is a confusion matrix",
        "how do I set up CI/CD for a react app",
        "what is the average salary of a nurse",
        # how to do a thing oneself, naming no role: a technique
        "how do I reduce inference latency for a BERT model on CPU?",
        "how to reduce the latency of my pytorch model",
        "how can I speed up batch inference on GPUs",
        "how should we monitor data drift in our fraud model?",
        # a computer is not the saying ("it works on my laptop")
        "what's the best laptop for data science under $1500?",
        "which laptop should a machine learning engineer buy",
    ],
)
def test_near_misses_from_the_ml_domain_are_declined(engine: Engine, text: str) -> None:
    assert topic_of(engine, text) is None


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("who monitors models for drift after deployment?", "mlops"),
        ("who builds the data pipelines for production models", "data-pipelines"),
        # one topic word is enough when the question asks who
        ("whose job is ETL, honestly", "data-pipelines"),
        # what a role owns is that role's own entry
        ("what does an MLE own in a team?", "ml-engineer"),
        ("what does a data scientist own on the team", "data-scientist"),
    ],
)
def test_asking_who_is_a_question_about_roles(engine: Engine, text: str, topic: str) -> None:
    assert topic_of(engine, text) == topic


def test_asking_who_rests_on_one_topic_word_but_not_when_asking_the_bot(engine: Engine) -> None:
    # "monitoring" alone, no role named: answered because it asks who (the
    # entry about monitoring, or the one about what an MLE is in charge of)
    assert topic_of(engine, "who is in charge of model monitoring?") in {"mlops", "ml-engineer"}
    # ... but "who do you report to" asks the bot, not about the roles
    assert topic_of(engine, "who do you report to for your work") is None


CONVERSATIONS = [
    [
        ("what does a data scientist do?", "data-scientist"),
        ("and how much do they make?", "salary"),
        ("what about ML engineers?", "salary"),
        ("what tools do they use?", "tools"),
        ("and data scientists?", "tools"),
    ],
    [
        ("tell me about ML engineers", "ml-engineer"),
        ("what does their typical day look like", "day-to-day"),
        ("and DS?", "day-to-day"),
    ],
    [
        ("how much do data scientists earn", "salary"),
        ("same for MLEs", "salary"),
        ("what skills do they need", "skills"),
    ],
    # "that" / "it" as what the question is about, "then" at the end, "so" first
    [("ds vs mle?", "difference"), ("is there an analogy for that?", "analogy")],
    [
        ("what's the difference between a data scientist and an ML engineer", "difference"),
        ("any real-world example of that?", "example"),
    ],
    [("which role is more in demand right now?", "demand"), ("ok so which one should I choose then?", "choosing")],
    [
        ("I can't decide between data science and ML engineering", "choosing"),
        ("what would my typical day look like in it?", "day-to-day"),
    ],
    # a role and a topic of its own stand alone, even with "that"
    [("what does an ML engineer do?", "ml-engineer"), ("what skills does a data scientist need for that?", "skills")],
    # words of the answer just given carry a name the knowledge does not know
    [
        ("are DS and MLE separate roles at startups?", "team-structure"),
        ("what about large companies like Amazon?", "team-structure"),
    ],
    # on the same topic in words of its own, naming no role
    [("what programming languages do ML engineers use?", "tools"), ("is julia worth picking up?", "tools")],
    [
        ("do data scientists write production code?", "production-code"),
        ("what makes code ready for production?", "production-code"),
    ],
    # "one" as what was asked about; a fragment that narrows the last question
    [("do ML engineers need a masters degree?", "education"), ("do data scientists need one?", "education")],
    [("how much do ML engineers make?", "salary"), ("in big tech?", "salary")],
    [("what tools do data scientists use?", "tools"), ("for deep learning?", "tools")],
    # "examples?", "how long?": go on about the last answer
    [("how do ML engineers monitor models in production?", "mlops"), ("examples?", "mlops")],
    # a next step after another move is a switch
    [("how does a data analyst become a data scientist?", "other-roles"), ("and from there on to MLE?", "switching")],
    [("data analyst to data scientist, how?", "other-roles"), ("then to ML engineer after that?", "switching")],
    # ... while "got an example?" asks for the worked example
    [("what's the difference between DS and MLE?", "difference"), ("got an example?", "example")],
    [("how do data scientists and ML engineers work together?", "working-together"), ("example?", "example")],
    [("can a data scientist switch to ML engineering?", "switching"), ("how long?", "switching")],
    [("can an ML engineer move into data science?", "switching"), ("how long would that take?", "switching")],
    # "is it ...?" in everyday words asks about what was just answered
    [("can an ML engineer move back into data science?", "switching"), ("is it unusual?", "switching")],
    [("do data scientists deploy their own models?", "deployment"), ("is that normal?", "deployment")],
    # a follow-up in words of its own that, with the last question's words, still finds the last entry
    [("how does CI/CD for ML work?", "mlops"), ("who sets it up?", "mlops")],
    [("whats the pay difference between DS and MLE?", "salary"), ("why is there such a gap?", "salary")],
    [("how do ML engineers retrain models in production?", "mlops"), ("who sets that up?", "mlops")],
    # whether the last answer holds elsewhere
    [("how much do data scientists earn?", "salary"), ("is that true everywhere?", "salary")],
    [("how much do ML engineers make compared to DS?", "salary"), ("does that hold in Europe too?", "salary")],
    [("what's the salary of a senior ML engineer?", "salary"), ("is that the case in the UK as well?", "salary")],
    # ... or of a place or a company the knowledge does not know
    [("how much does a data scientist make?", "salary"), ("in Lisbon?", "salary")],
    [("is the ML engineer job market growing?", "demand"), ("and in Nairobi?", "demand")],
    # the other role set against the one just asked about
    [("what does an ML engineer do?", "ml-engineer"), ("versus a data scientist?", "difference")],
    [("what is a data scientist?", "data-scientist"), ("compared to an MLE?", "difference")],
    # the last question asked the other way round: of the other role, or
    # (a move, a comparison) the same answer
    [("what does a data scientist do all day?", "day-to-day"), ("and the other one?", "day-to-day")],
    [("what does an ML engineer do?", "ml-engineer"), ("same question but for the other role", "data-scientist")],
    [("what does a DS actually do?", "data-scientist"), ("what about the other one", "ml-engineer")],
    [("how do I move from data science to ML engineering?", "switching"), ("and the reverse?", "switching")],
    [("can a DS become an MLE?", "switching"), ("what about the opposite direction", "switching")],
    # a place and nothing else: the last question, asked there
    [("how much do ML engineers make?", "salary"), ("what about london", "salary")],
    [("is there demand for data scientists?", "demand"), ("germany specifically", "demand")],
    [("what does a data scientist earn?", "salary"), ("and the netherlands or switzerland?", "salary")],
    [("how much do MLEs make in the US?", "salary"), ("is it the same in sao paulo?", "salary")],
    # "the engineers", "the scientists": the two roles, in a conversation about them
    [("how much do data scientists make?", "salary"), ("and the engineers?", "salary")],
    [("what does an ML engineer do all day?", "day-to-day"), ("and for the scientists, is it similar?", "day-to-day")],
    [("what do data scientists need to study?", "education"), ("and the engineers mostly CS?", "education")],
    # what one role does that the other does not: the difference, whatever came before
    [("what tools does an ML engineer use?", "tools"), ("what does a DS do that an MLE doesn't", "difference")],
    [
        ("how much do data scientists earn?", "salary"),
        ("so what exactly does an ML engineer do that a data scientist does not", "difference"),
    ],
    # typed as a search query: a keyword or two of the knowledge's, no question form
    [("batch vs streaming data pipelines", "data-pipelines"), ("kafka", "data-pipelines")],
    [("do I need a degree to become a data scientist?", "education"), ("bootcamp", "education")],
    [("is the job market for ML engineers good?", "demand"), ("layoffs", "demand")],
    [("what's a typical day for an ML engineer?", "day-to-day"), ("pager duty", "day-to-day")],
]


@pytest.mark.parametrize("turns", CONVERSATIONS)
def test_follow_ups_borrow_from_the_previous_turn(engine: Engine, turns: list[tuple[str, str]]) -> None:
    service = RoleDiff(engine)
    asker = Asker("test", None, "dm", "c1")
    got = [service.ask(q, asker).topic for q, _ in turns]
    assert got == [t for _, t in turns]


@pytest.mark.parametrize(
    "off_topic",
    [
        "what's the weather in London?",
        # a place with a question of its own
        "what is the capital of france",
        "what time is it in tokyo",
        "best pizza in new york?",
        # emoji codes are no question
        "ok :skull:",
        "lol :joy: :joy:",
        "ok thanks, can you recommend a pizza place",
        "how do I write a for loop in bash?",
        "how do I version my code with git",
        "what's 2+2",
        "tell me a joke",
        "what day is it today",
        "and for nurses?",
        "thanks, have a good day",
        "what's a good laptop",
        "how do I make money fast",
        "tell me about the football tonight",
        "and what about the football results?",
        "is it going to rain, then?",
        "is that true about the moon landing?",
        "so what should I cook for dinner",
        "what's a good laptop for ML?",
        "any good GPU for ML work?",
        "how do I write a web scraper in python?",
        "and how much do plumbers make?",
        "is it worth buying a new phone?",
        "what time is it?",
        "is it lunch time yet?",
        "ok so how do I write a Makefile for my project",
        "can you write me a terraform script for a model endpoint",
        # ... and other tasks for the bot, asked or told
        "can you review my python code",
        "could you proofread my resume",
        "ok then write me a cover letter for an ML engineer job",
        "pls draft me an email to my manager",
        "makes sense, thanks!",
        "got it, cheers",
        # a few words, but not of the knowledge's keywords (or read as a typo of one)
        "sounds stressful",
        "neat",
        "nice pizza",
        "ok cool",
        # commands to an assistant: no question, so nothing to complete
        "pause the music",
        "set an alarm for 7",
        "remind me to call mum",
        "turn off the lights",
        "play the next song",
        "skip this one",
        # a thing defined or picked of its own, and the asker's own accounts
        "what is a feature store and do I need one",
        "what's the difference between TensorFlow and PyTorch?",
        "should I use FastAPI or gRPC to serve my model?",
        "what is an embedding",
        "what's kafka?",
        "what does CI/CD mean in web development?",
        "what's my bank balance",
        "how high is my credit limit",
        # the asker's own pay slip
        "what's my salary this month",
        "when do i get paid",
        "when is my next payday",
    ],
)
def test_context_never_turns_an_off_topic_follow_up_into_an_answer(engine: Engine, off_topic: str) -> None:
    for first in (
        "what does a data scientist do?",
        "how much do ML engineers earn",
        "ds vs mle",
        "what tools do ML engineers use?",
        "is the DS job market growing?",
    ):
        service = RoleDiff(engine)
        asker = Asker("test", None, "dm", "c1")
        assert service.ask(first, asker).kind == "answer"
        assert service.ask(off_topic, asker).kind == "decline", (first, off_topic)


def test_without_a_conversation_each_message_stands_alone(engine: Engine) -> None:
    service = RoleDiff(engine)
    service.ask("what does a data scientist do?", Asker("test", None, "dm"))
    assert service.ask("and how much do they make?", Asker("test", None, "dm")).kind == "decline"
    # and conversations do not leak into each other
    service.ask("what does a data scientist do?", Asker("test", None, "dm", "a"))
    assert service.ask("and how much do they make?", Asker("test", None, "dm", "b")).kind == "decline"


def test_conversations_expire_and_stay_bounded() -> None:
    now = [0.0]
    conv = Conversations(ttl_s=600, max_size=3, clock=lambda: now[0])
    conv.put("a", Turn("salary", ("salary",)))
    now[0] = 599
    assert conv.get("a") is not None
    now[0] = 1200
    assert conv.get("a") is None
    for key in "bcde":
        conv.put(key, Turn("salary", ("salary",)))
    assert len(conv) == 3 and conv.get("b") is None and conv.get("e") is not None


def _cli(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("ROLE_DIFF_")}, "ROLE_DIFF_LOG": "off"},
        timeout=120,
    )


def test_batch_ask_takes_conversation_objects_and_plain_lines() -> None:
    lines = [
        json.dumps({"question": "what does a data scientist do?", "conversation": "x"}),
        json.dumps({"question": "and how much do they make?", "conversation": "x"}),
        "and how much do they make?",  # plain text: stands alone, as before
        json.dumps({"question": "and how much do they make?", "conversation": "y"}),  # another conversation
        json.dumps({"question": "what about ML engineers?", "conversation": "x"}),
        '{"not": "a question"}',
    ]
    out = _cli("ask", "--json", stdin="\n".join(lines) + "\n")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["topic"] for r in rows[:5]] == ["data-scientist", "salary", None, None, "salary"]
    assert rows[0]["conversation"] == "x" and "conversation" not in rows[2]
    assert rows[5]["question"] == '{"not": "a question"}' and rows[5]["entry_id"] is None


def test_eval_reads_conversations_and_reports_follow_up_turns_apart(tmp_path: Path) -> None:
    f = tmp_path / "conv.tsv"
    f.write_text(
        "question\texpected\tconversation\n"
        "what does a data scientist do?\tdata-scientist\tc1\n"
        "and how much do they make?\tsalary\tc1\n"
        "what's the weather in London?\tnone\tc1\n"
        "and how much do they make?\tnone\t\n",
        encoding="utf-8",
    )
    out = _cli("eval", "--json", str(f), stdin="")
    assert out.returncode == 0, out.stderr
    fig = json.loads(out.stdout)
    assert fig["in_scope_accuracy"] == 1.0 and fig["false_answer_rate"] == 0.0
    parts = fig["parts"]
    assert parts["follow-up turns"]["questions"] == 2 and parts["single questions"]["questions"] == 2


@pytest.mark.parametrize(
    "text", ["hi", "hey bot", "hello role-diff", "good morning", "yo!", "hola", "namaste", "halo bot"]
)
def test_a_greeting_alone_gets_the_overview(engine: Engine, text: str) -> None:
    service = RoleDiff(engine)
    assert service.ask(text, Asker("test")).kind == "overview"
    assert service.ask(f"{text} what is mlops", Asker("test")).topic == "mlops"


@pytest.mark.parametrize(
    ("text", "not_topic"),
    [
        ("what does an ML engineer deliver at the end of a project?", "data-scientist"),
        ("what do MLEs hand over when a project ends?", "data-scientist"),
        ("what is a data scientist responsible for, day to day?", "ml-engineer"),
        ("what do data scientists actually own in a team?", "ml-engineer"),
    ],
)
def test_an_entry_about_one_role_does_not_answer_the_other(engine: Engine, text: str, not_topic: str) -> None:
    """An entry whose phrasings name one role alone (what a data scientist
    does, delivers) is not the answer to a question naming only the other."""
    assert topic_of(engine, text) != not_topic
    entries = {e.id: role for e, role in zip(engine.index.entries, engine.index.entry_role, strict=True)}
    assert entries["data-scientist"] == "datascientist"
    assert entries["ml-engineer"] == "mlengineer"
    assert entries["difference"] is None


@pytest.mark.parametrize(
    "turns",
    [
        # a message that only asks to go on gets the last answer's entry again
        [("do data scientists write production code?", "production-code"), ("why not?", "production-code")],
        [("do data scientists write production code?", "production-code"), ("y tho", "production-code")],
        [("do data scientists write production code?", "production-code"), ("why not exactly", "production-code")],
        [("what does an ML engineer do?", "ml-engineer"), ("like in practice", "ml-engineer")],
        [("what does an ML engineer do?", "ml-engineer"), ("what does that look like?", "ml-engineer")],
        # ... or said another way: shorter, simpler, longer
        [("what's the difference between DS and MLE", "difference"), ("tl;dr", "difference")],
        [
            ("do data scientists write production code?", "production-code"),
            ("ok but in one sentence?", "production-code"),
        ],
        # ("like I'm 5" of one role: its entry, or the analogy, as the tuning sets' writers say both)
        [("what does an ML engineer do?", "ml-engineer"), ("now explain it like I'm 5", "ml-engineer|analogy")],
        [("how do DS and MLE work together?", "working-together"), ("shorter version pls", "working-together")],
        [("what is MLOps?", "mlops"), ("in plain english?", "mlops")],
        [("who earns more, DS or MLE?", "salary"), ("by how much", "salary")],
        [("what does an ML engineer do?", "ml-engineer"), ("can you sum it up", "ml-engineer")],
        # a liking told after how to choose goes on choosing
        [("should I pick DS or MLE?", "choosing"), ("what if I like both?", "choosing")],
        [("how do I choose between DS and MLE", "choosing"), ("I really hate being on call tbh", "choosing")],
        [("DS or MLE, which suits me?", "choosing"), ("and someone who loves open-ended problems?", "choosing")],
        # ... but not after another answer, where it asks nothing
        [("what does an ML engineer do all day?", "day-to-day"), ("I love pizza", None)],
        [("do ML engineers need statistics?", "skills"), ("how much?", "skills")],
        [("how do DS and MLE work together?", "working-together"), ("like what?", "working-together")],
        [("what's the difference between DS and MLE", "difference"), ("longer please", "difference")],
        # a follow-up of a seniority asks the last question at that level
        [("how much does an ML engineer make?", "salary"), ("and for juniors?", "salary")],
        [("is the data scientist job market growing?", "demand"), ("what about junior DS roles?", "demand")],
        [("what skills does a data scientist need?", "skills"), ("ok and at senior level?", "skills")],
        # ... said as the level and nothing else
        [("how much do ML engineers make?", "salary"), ("seniors?", "salary")],
        [("what does a data scientist do all day?", "day-to-day"), ("juniors?", "day-to-day")],
        # ... and neither other people's pay nor what a word means goes on about the last answer
        [("DS vs MLE salary", "salary"), ("what about software engineers, how much do they make", None)],
        [("DS vs MLE salary", "salary"), ("what does equity even mean here", None)],
        # asked for the bot's own pick: how to choose
        [("can a data scientist switch to ML engineering?", "switching"), ("would you do it?", "choosing")],
        [("is DS or MLE more in demand?", "demand"), ("what would you pick in my shoes?", "choosing")],
        [("how much do ML engineers make", "salary"), ("what'd you pick in my shoes?", "choosing")],
        # "which one is better?" asks to choose, whatever was asked before
        [("what's the difference between DS and MLE?", "difference"), ("so which role is better?", "choosing")],
        [("got an analogy for DS vs MLE?", "analogy"), ("ok which one is better then?", "choosing")],
        # a yes-or-no question of the last answer with nothing of its own
        [("do data scientists write production code?", "production-code"), ("should they?", "production-code")],
        [("do ML engineers go on call?", "day-to-day"), ("do they really?", "day-to-day")],
        [("is the data science job market shrinking?", "demand"), ("will it though?", "demand")],
        # asked to go deeper on a part of the last answer: that part
        [("is MLOps part of an ML engineer's job?", "mlops"), ("can you go deeper on the monitoring bit", "mlops")],
        [("is MLOps part of an ML engineer's job?", "mlops"), ("elaborate on the versioning part", "mlops")],
        # "and X?" of a thing alone asks the last question of that thing
        [("which role uses more math, DS or MLE?", "skills"), ("and coding?", "skills")],
        # a thing asked of what was just said is not a thing of its own
        [("how do ML models get deployed?", "deployment"), ("what's a good latency for that?", "deployment")],
        # a question about "that" in everyday words is about the last answer
        [
            ("do startups have separate DS and MLE roles?", "team-structure"),
            ("is that a good thing?", "team-structure"),
        ],
        # "which has more ...": of the two roles just talked about
        [("is the MLE job market growing?", "demand"), ("which one has better job security?", "demand")],
        # a correction: what follows "I meant" is the question
        [("what degree do ML engineers usually have?", "education"), ("no, I meant do they need a PhD", "education")],
        # other people: an entry about them, or a decline
        [("data scientist vs ML engineer?", "difference"), ("what about data engineers?", "other-roles")],
        [("ds vs mle pay", "salary"), ("and how much do nurses make?", None)],
        [("what's an ML engineer's salary?", "salary"), ("and software developers?", None)],
    ],
)
def test_follow_ups_that_go_on_compare_correct_or_change_the_subject(
    engine: Engine, turns: list[tuple[str, str | None]]
) -> None:
    service = RoleDiff(engine)
    asker = Asker("test", None, "dm", "c2")
    got = [service.ask(q, asker).topic for q, _ in turns]
    wanted = [t.split("|") if t is not None else [None] for _, t in turns]
    assert all(g in w for g, w in zip(got, wanted, strict=True)), got


@pytest.mark.parametrize(
    "text",
    [
        "as a DS with 3 years of experience, could I transition to ML engineering?",
        "could an ML engineer with a physics degree become a data scientist later?",
        "can a data scientist become an ML engineer in 6 months",
    ],
)
def test_one_role_becoming_the_other_is_switching(engine: Engine, text: str) -> None:
    assert topic_of(engine, text) == "switching"


@pytest.mark.parametrize(
    "text",
    [
        "how do I know if I'm more of a DS person or an MLE person?",
        "am I more of a data scientist or an ML engineer, judging by what I enjoy?",
        "honestly I can't tell if I'm a data science type or an ML engineering type",
        "I have two job offers, one as a data scientist and one as an ML engineer",
        "two offers on the table: data scientist at a bank, ML engineer at an agency",
        # "X or Y for <someone>", and how it is to do each job
        "data scientist or ML engineer for somebody who loves maths?",
        "ds or mle for an introvert",
        "which role is more boring, data scientist or ML engineer?",
        "which is more chill, ds or mle",
        "is being an ML engineer tougher than being a data scientist?",
        # a liking told, then the roles set against each other
        "I enjoy talking to stakeholders and I dislike infrastructure work. Data scientist or ML engineer?",
        "i kinda hate ambiguity and love shipping things, does that make me more MLE than DS",
        "I'm good at statistics but hate writing tests: DS vs MLE?",
        # the bot's own pick, the roles named after it or before
        "what would you pick if you were starting out now, data scientist or ML engineer?",
        "would you go for data science or ML engineering in 2026",
        "if you had to choose, DS or MLE?",
        "DS or MLE, which would you pick?",
    ],
)
def test_asking_which_role_one_is_more_of_or_which_offer_to_take_is_choosing(engine: Engine, text: str) -> None:
    assert topic_of(engine, text) == "choosing"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("list the skills of a data scientist pls", "skills"),
        ("can you list the tools ML engineers use?", "tools"),
        ("list what an ML engineer does", "ml-engineer"),
    ],
)
def test_list_is_how_it_is_asked_not_what(engine: Engine, text: str, topic: str) -> None:
    assert topic_of(engine, text) == topic


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("tell me the main difference in one sentence", "difference"),
        ("got an example?", "example"),
        ("got an analogy?", "analogy"),
        ("any good metaphor?", "analogy"),
        ("what's the salary difference?", "salary"),
        ("where does your info come from?", "about"),
    ],
)
def test_words_that_here_ask_about_the_roles(engine: Engine, text: str, topic: str) -> None:
    """Named no role, a question made only of words that in this bot ask
    about the roles ("difference", "example", "salary") is about both."""
    assert topic_of(engine, text) == topic


@pytest.mark.parametrize(
    "text",
    [
        "how much do I earn a year",
        "what is my salary",
        "how much do they make?",
        "what's the difference between bagging and boosting",
        "give me an example of recursion",
        "why?",
        "how much?",
    ],
)
def test_no_implied_roles_for_the_askers_own_or_other_things(engine: Engine, text: str) -> None:
    assert topic_of(engine, text) is None


LONG_PAY = (
    # (no comma before "would": that clause would be a view of its own, see `_ASKING_CLAUSE`, and lift the score)
    "Mid-level data scientist at a logistics firm, base pay around 120k. If I moved into an ML engineer title "
    "would my pay go up in a meaningful way, or is it the same band in practice?"
)


def test_a_long_message_with_a_clear_lead_is_answered_below_the_usual_score(engine: Engine) -> None:
    """A story dilutes every entry's score; naming a role, a long message is
    answered when its best entry leads every other topic by a clear margin."""
    result = engine.match(LONG_PAY)
    assert isinstance(result, Answer) and result.entry.topic == "salary"
    assert result.score < engine.t.answer
    strict = Engine(engine.kb, replace(engine.t, long_words=1000, topic_model=False))
    assert isinstance(strict.match(LONG_PAY), Decline)
    # a short question at the same score is not
    assert not engine._clear_lead(engine.analyse("ML engineer pay, same band?"))


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        (
            "At my company the nightly jobs that pull raw tables, check them and load features break every"
            " week and nobody wants them. Should the data scientists or the ML engineers own those ETL pipelines?",
            "data-pipelines",
        ),
        (
            "Quick one from a product manager: when the churn model drifts and its accuracy drops months after"
            " launch, who is supposed to notice and fix it, the data scientist or the ML engineer?",
            "mlops",
        ),
        (
            "I'm a physics postdoc with lots of maths and some python. Thinking about leaving academia. Would"
            " data science or ML engineering suit me better, and how would I even decide?",
            "choosing",
        ),
        (
            "Been a DS for three years, mostly notebooks and dashboards. I want to move over to the MLE side of"
            " the team. What should I learn first to make that jump?",
            "switching",
        ),
    ],
)
def test_a_long_story_then_an_ask_is_answered_by_what_it_asks(engine: Engine, text: str, topic: str) -> None:
    assert topic_of(engine, text) == topic


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("I run a small bakery and do all the bookkeeping, how much does a data scientist earn?", "salary"),
        ("I've been a nurse for ten years and I love statistics, which role would suit me better?", "choosing"),
        (  # what it takes to become one: its skills, or switching (the tuning sets' writers say both)
            "I'm a backend developer with five years of Java, what skills would I need to become an ML engineer?",
            "skills|switching",
        ),
        (
            "I manage a team of analysts at a bank, should I hire a data scientist or an ML engineer first?",
            "team-structure",
        ),
    ],
)
def test_a_story_then_an_ask_in_one_sentence_is_answered_by_what_it_asks(engine: Engine, text: str, topic: str) -> None:
    """The clause after the comma asks (`_ASKING_CLAUSE`): it is a view of the
    message, as a question sentence of a longer one is."""
    assert topic_of(engine, text) in topic.split("|")
    ask, _ = engine.tokens(text.split(", ", 1)[1])
    views = engine._ask_views(text, engine.hear(text).tokens)
    assert len(views) == 1 and views[0][: len(ask)] == ask


def test_the_vote_weighs_words_across_all_of_an_entrys_phrasings(engine: Engine) -> None:
    """The naive-Bayes vote: the likeliest entry gets 1, the others less; and
    in the self-check, a phrasing left out no longer counts for its entry."""
    idx = engine.index
    every = range(len(idx.entries))
    for text, entry_id in [
        ("who keeps the airflow dags and etl jobs running", "data-pipelines"),
        ("is the pay higher for one of them", "salary"),
        ("an analogy to explain them both", "analogy"),
    ]:
        votes = engine._nb_vote(text.split(), every, None)
        assert max(votes.values()) == 1.0
        best = max(votes, key=votes.__getitem__)
        assert idx.entries[best].id == entry_id, (text, idx.entries[best].id)
    # Leaving a phrasing out lowers its entry's vote on the phrasing's own
    # words, against any other entry (votes are relative, so compare two).
    lower = 0
    left_out = [qi for qi, unique in idx.q_unique.items() if unique][:40]
    assert left_out
    for qi in left_out:
        words = sorted(idx.q_sets[qi])
        own = idx.q_entry[qi]
        other = (own + 1) % len(idx.entries)
        with_it = engine._nb_vote(words, [own, other], None)
        without = engine._nb_vote(words, [own, other], qi)
        lower += without[own] / without[other] < with_it[own] / with_it[other]
    assert lower == len(left_out)


def test_a_role_alone_keeps_the_last_entry_unless_it_is_about_one_role(engine: Engine) -> None:
    """'and for DS?' after an education answer stays on education even when
    the last question's words, with the new role, fit another entry better;
    after an entry about one role it moves to the other role's entry."""
    from bot.engine import Score

    a = engine.analyse("what courses are good for becoming a data scientist?")
    ranked = (Score("skills", 80.0, 80.0, 0.8, 0.5, 1.0), Score("education", 75.0, 75.0, 0.7, 0.5, 0.9))
    a = replace(a, scores=ranked)
    after_education = Turn("education", ("cours", "mlengineer"), "education", ("mlengineer",))
    same = engine._same_for_role(["datascientist"], a, after_education)
    assert isinstance(same, Answer) and same.entry.id == "education"
    # a topic of its own, a weak score, or an entry about one role: not kept
    assert engine._same_for_role(["datascientist", "salary"], a, after_education) is None
    weak = replace(a, scores=(ranked[0], Score("education", 40.0, 40.0, 0.3, 0.1, 0.2)))
    assert engine._same_for_role(["datascientist"], weak, after_education) is None
    after_role = Turn("ml-engineer", ("mlengineer",), "ml-engineer", ("mlengineer",))
    own = replace(a, scores=(ranked[0], Score("ml-engineer", 75.0, 75.0, 0.7, 0.5, 0.9)))
    assert engine.index.entry_role[engine.index.entry_index["ml-engineer"]] == "mlengineer"
    assert engine._same_for_role(["datascientist"], own, after_role) is None


@pytest.mark.parametrize("text", ["ML engineer socks", "data scientist pets", "data scientists sneakers"])
def test_a_role_and_a_word_the_knowledge_does_not_know_is_not_answered_by_the_role(engine: Engine, text: str) -> None:
    """A role name and one unknown word: the unknown word may be what is
    asked (misspelt beyond repair, or off the subject), so the role's entry
    is not the answer just because the fuzzy match on the role is close."""
    assert topic_of(engine, text) is None


def test_a_long_message_whose_question_sentence_agrees_is_answered(engine: Engine) -> None:
    """A story dilutes every score alike; when the top entry leads no other
    topic clearly, the message is still answered if its question sentence's
    best entry is of the same topic and scores high (`long_ask`)."""
    from bot.engine import Score

    a = engine.analyse(
        "I've spent six years in retail banking building credit risk scorecards in SAS, and my team is being"
        " merged into a bigger analytics group next year. How much do ML engineers earn compared to data scientists?"
    )
    assert a.has_role and len(a.tokens) >= engine.t.long_words
    assert a.ask is not None and a.ask.entry_id == "salary"
    close = (Score("salary", 50.0, 60.0, 0.4, 0.3, 1.0), Score("demand", 48.0, 60.0, 0.4, 0.3, 0.9))
    tied = replace(a, scores=close)
    assert engine._clear_lead(tied)
    assert not engine._clear_lead(replace(tied, ask=Score("demand", 95.0, 95.0, 1.0, 1.0, 1.0)))
    assert not engine._clear_lead(replace(tied, ask=Score("salary", engine.t.long_ask - 5, 80.0, 0.8, 0.8, 1.0)))
    assert not engine._clear_lead(replace(tied, ask=None))


@pytest.mark.parametrize("text", ["who are you", "what r u", "who made u", "what can this bot do", "how are you"])
def test_questions_to_the_bot_are_compared_word_for_word(engine: Engine, text: str) -> None:
    """The about entry's phrasings are compared as strings of one character a
    word: the score is the word-level Indel similarity, as a brute-force
    comparison of word lists gives it."""
    from rapidfuzz.distance import Indel

    from bot.text import clean_input, self_words

    cleaned, _ = clean_input(text)
    tokens, _ = engine.tokens(cleaned)
    got = engine._self_match(cleaned, tokens)
    asked = self_words(cleaned, engine._corrector({}))
    brute = max(
        (100.0 * Indel.normalized_similarity(asked, list(q)), -qi)
        for qi, q in enumerate(q for _, qs in engine.index.self_phrasings for q in qs)
    )
    assert got is not None
    assert got[1] == pytest.approx(brute[0])


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("why are job titles in data so confusing?", "job-titles"),
        ("why do job titles vary so much between companies", "job-titles"),
        ("what's the title of that song", None),  # a title alone is everyday
        # what someone is called asks for a title
        ("what do they call an ML engineer at big tech companies?", "job-titles"),
        ("what would a data scientist who deploys be called?", "job-titles"),
        ("what do i call you", None),
        ("what do you call me", None),
    ],
)
def test_a_job_title_is_the_domain_a_title_alone_is_not(engine: Engine, text: str, topic: str | None) -> None:
    assert topic_of(engine, text) == topic


def test_the_works_on_my_laptop_saying_is_the_analogy(engine: Engine) -> None:
    question = "is 'it works on my laptop' vs 'works everywhere' a fair way to put DS vs MLE?"
    assert topic_of(engine, question) == "analogy"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        # adverbs and asides say nothing about what is asked
        ("sorry, what is MLOps specifically?", "mlops"),
        ("ok but what is concept drift, specifically?", "mlops"),
        ("sorry, who deploys the model?", "deployment"),
    ],
)
def test_asides_are_filler(engine: Engine, text: str, topic: str) -> None:
    assert topic_of(engine, text) == topic


def test_a_certificate_is_a_certification(engine: Engine) -> None:
    service = RoleDiff(engine)
    asker = Asker("test", None, "dm", "c1")
    assert service.ask("do ML engineers need a degree?", asker).topic == "education"
    assert service.ask("are certificates enough on their own?", asker).topic == "education"


@pytest.mark.parametrize(
    ("first", "topic"),
    [
        ("how much do data scientists make?", "salary"),
        ("is the ML engineer job market growing?", "demand"),
        ("explain DS vs MLE with an analogy", "analogy"),
    ],
)
@pytest.mark.parametrize(
    "ask",
    [
        "where's that from?",
        "source?",
        "sources for that?",
        "what's the source",
        "where'd you get that",
        "where did you get those numbers from?",
        "says who?",
        "according to whom?",
        "sauce?",
    ],
)
def test_asking_where_the_last_answer_comes_from_gets_its_sources(
    engine: Engine, first: str, topic: str, ask: str
) -> None:
    service = RoleDiff(engine)
    asker = Asker("test", None, "dm", "src")
    answer = service.ask(first, asker)
    assert answer.topic == topic
    reply = service.ask(ask, asker)
    # that answer's sources, not the answer again nor every source
    assert reply.kind == "answer" and reply.entry_id == answer.entry_id
    assert reply.title.startswith("Sources:") and reply.credits == answer.credits
    assert reply.blocks != answer.blocks
    # ... and the conversation stays on that answer
    assert service.ask("and in Germany?", asker).topic == topic if topic == "salary" else True


def test_where_the_bot_gets_its_knowledge_is_about_the_bot_and_sources_lists_them_all(engine: Engine) -> None:
    service = RoleDiff(engine)
    asker = Asker("test", None, "dm", "src2")
    service.ask("how much do data scientists make?", asker)
    assert service.ask("where does your information come from?", asker).topic == "about"
    listed = service.ask("sources", asker)
    assert listed.kind == "sources" and len(listed.credits) == len(engine.kb.sources)
    # without a conversation, "source?" is the list too
    assert RoleDiff(engine).ask("source?", Asker("test", None, "dm", None)).kind == "sources"


@pytest.mark.parametrize(
    "turns",
    [
        [("how much do data scientists make in the US?", "salary"), ("that seems low", "salary")],
        [("explain DS vs MLE with an analogy", "analogy"), ("what's wrong with it?", "analogy")],
        [("explain DS vs MLE with an analogy", "analogy"), ("is that really accurate though?", "analogy")],
        [("do data scientists write production code?", "production-code"), ("hmm that sounds odd", "production-code")],
        # a long first turn: "why?" is its answer again, not its words re-read
        [
            (
                "I'm 34 and have been a backend developer for 8 years (java, kafka, k8s). Thinking about ML. "
                "Should I go for data science or ML engineering?",
                "choosing",
            ),
            ("why?", "choosing"),
        ],
    ],
)
def test_a_word_on_the_last_answer_is_that_answer(engine: Engine, turns: list[tuple[str, str]]) -> None:
    service = RoleDiff(engine)
    asker = Asker("test", None, "dm", "judge")
    assert [service.ask(q, asker).topic for q, _ in turns] == [t for _, t in turns]


@pytest.mark.parametrize("said", ["that's wrong", "that's true", "that is so false", "is that a good laptop?"])
def test_a_verdict_or_a_new_thing_is_not_the_last_answer_again(engine: Engine, said: str) -> None:
    service = RoleDiff(engine)
    asker = Asker("test", None, "dm", "judge2")
    assert service.ask("how much do data scientists make?", asker).kind == "answer"
    assert service.ask(said, asker).kind == "decline"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("@role-diff help", "help"),
        ("/role-diff topics", "topics"),
        ("hey bot, help", "help"),
        ("role-diff sources", "sources"),
        ("@role-diff compare", "compare"),
    ],
)
def test_a_command_said_to_the_bot_by_name_is_the_command(engine: Engine, text: str, kind: str) -> None:
    assert RoleDiff(engine).ask(text, Asker("test", None, "dm", None)).kind == kind
