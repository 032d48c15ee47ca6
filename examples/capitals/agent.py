"""A deliberately imperfect agent: a lookup table that gets Australia wrong."""

CAPITALS = {
    "france": "Paris",
    "germany": "Berlin",
    "italy": "Rome",
    "spain": "Madrid",
    "japan": "Tokyo",
    "australia": "Sydney",
}


def answer(example):
    """The capital of the country named in the question, or "I don't know"."""
    question = str(example.input).lower()
    return next((city for country, city in CAPITALS.items() if country in question), "I don't know")
