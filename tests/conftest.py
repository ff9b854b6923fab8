from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.knowledge import KnowledgeBase, load_knowledge


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="session")
def engine(kb: KnowledgeBase) -> Engine:
    return Engine(kb)
