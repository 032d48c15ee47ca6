"""The first traffic writer's noise model: how merchants mangle template phrasings (typos, slang,
lowercase, other currencies), other languages, vague one-liners and run-together requests."""

from __future__ import annotations

import random

from flow_data.templates import email, money

SLANG = {
    "customers": ["ppl", "folks", "buyers", "clients"],
    "tag": ["label", "mark", "flag"],
    "order": ["order", "purchase", "sale"],
}
FOREIGN = [
    ("es", "Cuando un pedido supere los {amount} {cur}, etiqueta al cliente como VIP."),
    ("es", "Envíame un correo a {mail} si el riesgo del pedido es alto."),
    ("fr", "Quand une commande dépasse {amount} {cur}, ajoute le tag VIP au client."),
    ("fr", "Archive les commandes payées une fois expédiées."),
    ("de", "Wenn eine Bestellung über {amount} {cur} liegt, markiere den Kunden als VIP."),
    ("de", "Schick mir eine Mail an {mail}, wenn ein Produkt ausverkauft ist."),
    ("pt", "Marque pedidos acima de {amount} {cur} como prioridade."),
    ("it", "Tagga i clienti che spendono più di {amount} {cur} come fedeli."),
]
VAGUE = [
    "can u help with vip stuff",
    "automate tagging pls",
    "something for big orders?",
    "fraud thing again",
    "make the low stock emails work",
    "i need flows",
    "same as last time but for canada",
    "fix my automations",
    "what can flow do for refunds",
    "set up abandoned cart stuff",
]
CURRENCIES = ["$", "€", "£", "CA$", "AU$", "USD", "EUR", "¥"]


def typo(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 3)):
        if len(chars) < 4:
            break
        i = rng.randrange(1, len(chars) - 2)
        op = rng.randrange(3)
        if op == 0:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif op == 1:
            del chars[i]
        else:
            chars.insert(i, chars[i])
    return "".join(chars)


def mangle(text: str, rng: random.Random, force: bool = False) -> tuple[str, list[str]]:
    """A request as typed in a hurry: other currencies, typos, slang, lowercase (at least one of
    typos or lowercase when ``force``, so a repeated request is not a verbatim copy)."""
    tags = []
    cur = rng.choice(CURRENCIES)
    if "$" in text and cur != "$":
        text = text.replace("$", cur if cur in ("€", "£", "¥") else cur + " ")
        tags.append("currency:" + cur)
    if rng.random() < 0.35:
        text = typo(text, rng)
        tags.append("typos")
    if rng.random() < 0.3:
        for word, options in SLANG.items():
            text = text.replace(word, rng.choice(options))
        tags.append("slang")
    if rng.random() < 0.3 or (force and "typos" not in tags):
        lowered = text.lower().rstrip(".")
        if lowered != text:
            text = lowered
            tags.append("lowercase")
        elif force:
            text = typo(text, rng)
            tags.append("typos")
    return text, tags


def foreign(rng: random.Random) -> tuple[str, str]:
    """A request in another language (few and template-based)."""
    lang, template = rng.choice(FOREIGN)
    amount, cur, mail = money(rng), rng.choice(CURRENCIES), email(rng)
    return template.format(amount=amount, cur=cur, mail=mail), lang


def template_combo(rng: random.Random) -> str:
    """Two template automations run together in one message."""
    amount, cur, mail = money(rng), rng.choice(CURRENCIES), email(rng)
    a = rng.choice(
        [
            "tag orders over {c}{a} as big",
            "email {m} when fraud risk is high",
            "tag new customers welcome",
        ]
    )
    b = rng.choice(
        [
            "also unpublish sold out products",
            "and hold anything shipping to PO boxes",
            "plus tag repeat buyers loyal",
        ]
    )
    return a.format(c=cur, a=amount, m=mail) + " " + b
