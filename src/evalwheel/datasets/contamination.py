"""Contamination between two sets of items: which items of A have a near-duplicate in B.

A benchmark whose test items are paraphrases of, or the same template as, what the system learnt
from (its few-shot bank, its training data) measures recall of that data, not the skill. For every
item of A this finds its nearest items in B by three independent methods; an item is contaminated
when any of them clears its threshold:

- ``ngram``: containment of A's word n-grams in B's,
  ``C(a, b) = |G_n(a) ∩ G_n(b)| / |G_n(a)|`` (Broder 1997, "On the resemblance and containment
  of documents"), the share of a's n-grams found in b. Containment rather than resemblance, so a
  short A item copied inside a longer B item still counts. Computed exactly through an inverted
  index of B's n-grams (a sparse matrix product): only pairs that share an n-gram are touched. An
  item with fewer than n words has no n-gram and scores 0 here.
- ``minhash``: Jaccard similarity of the two word sets, ``J(a, b) = |W(a) ∩ W(b)| / |W(a) ∪ W(b)|``,
  estimated with MinHash and indexed with LSH (``datasketch``) so candidates come without
  comparing all pairs; every candidate is then verified with the exact Jaccard. It catches the
  same request with a few words changed (another value, another tag) that breaks the n-grams.
- ``signature``: the application's structural signature of the items' references (for Flow, the
  workflow's skeleton with literals masked), matched exactly. It catches the same template with
  other values however differently the request is worded.

Words are ``\\w+`` runs of the NFKC-normalised, casefolded text, except that every Han, kana or
Thai character is a word of its own (those scripts do not put spaces between words, so a whole
sentence would otherwise be one "word"). An input that is not text contributes its string values;
a chat conversation (a list of ``{"role", "content"}`` messages, bare or under a key)
contributes the content of its messages other than the system prompt, which is usually the same
for every item and would make every pair look alike.

When A and B are one collection (``exclude_self``: the same set, or a split of it), an item is not
compared with the B item of the same id — itself — so the report counts near-duplicates among the
*other* items, which is what "does my test split overlap the rest" asks. Up to ``exact_pairs`` pairs (|A| × |B|, four million by default: a benchmark against a
bank) every pair's Jaccard is computed exactly, through the same kind of sparse product, and LSH is
not needed. Beyond, the nearest-neighbour Jaccard of an item is the best exact Jaccard among the
pairs the indexes propose (LSH candidates, the best n-gram match); an item with none scores 0, so
the median is then a lower bound (``nearest_exact`` says which), while flagging is unaffected:
an item far below the threshold has no candidate only with high probability.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Literal, TypeGuard, TypeVar

import numpy as np
from datasketch import MinHash, MinHashLSH
from datasketch.hashfunc import sha1_hash32
from pydantic import BaseModel, ConfigDict, Field
from scipy import sparse

from evalwheel.core.example import Example
from evalwheel.datasets.splits import SignatureFn

Method = Literal["ngram", "minhash", "signature"]
METHODS: tuple[Method, ...] = ("ngram", "minhash", "signature")
TEXT_CHARS = 300
_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_UNSPACED}]|[^\W{_UNSPACED}]+")
_SYSTEM_ROLES = frozenset({"system", "developer"})
_CHUNK = 2048
_PAIR_CHUNK = 200_000
_PRESENT = 1.0  # added to stored scores so a Jaccard of 0 is still a stored (found) pair
# LSH misses are silent while false candidates only cost a verification, so recall weighs more.
_LSH_WEIGHTS = (0.2, 0.8)


class ContaminationSettings(BaseModel):
    """Each method's threshold: at or above it, the method calls an item contaminated."""

    model_config = ConfigDict(extra="forbid")
    ngram: int = Field(default=3, ge=1, le=50, description="words per n-gram")
    containment: float = Field(default=0.5, gt=0, le=1, description="n-gram containment")
    jaccard: float = Field(default=0.6, gt=0, le=1, description="word-set Jaccard")
    signature: bool = Field(default=True, description="compare structural signatures")
    num_perm: int = Field(default=128, ge=16, le=1024, description="MinHash permutations")
    exact_pairs: int = Field(
        default=4_000_000,
        ge=0,
        description="up to this many pairs (|A| × |B|) every pair's Jaccard is computed exactly; "
        "beyond, candidates come from MinHash LSH",
    )


class ItemMatch(BaseModel):
    """An item of A, its nearest item of B and each method's best score."""

    a_id: str
    a_text: str
    b_id: str | None = Field(description="the nearest B item: best Jaccard, else best n-gram")
    b_text: str | None
    jaccard: float = Field(description="best exact word Jaccard among the candidates")
    jaccard_b_id: str | None = None
    containment: float = Field(description="best n-gram containment of A's item in a B item")
    containment_b_id: str | None = None
    signature: str | None = None
    signature_b_id: str | None = Field(default=None, description="a B item of the same signature")
    methods: list[Method] = Field(description="the methods that call it contaminated")

    @property
    def contaminated(self) -> bool:
        return bool(self.methods)


class MethodCount(BaseModel):
    """How many items of A one method calls contaminated."""

    method: Method
    threshold: float | None = Field(description="None for the exact signature match")
    scored: int = Field(description="items of A the method could score")
    contaminated: int
    rate: float | None = Field(description="contaminated / n_a (None when A is empty)")


class ContaminationReport(BaseModel):
    """Near-duplicates of A's items in B, per method and overall, with examples and a verdict."""

    a: str
    b: str
    n_a: int
    n_b: int
    settings: ContaminationSettings
    methods: list[MethodCount]
    contaminated: int = Field(description="items of A that any method calls contaminated")
    rate: float | None = Field(description="contaminated / n_a (None when A is empty)")
    signatures_a: int = Field(description="distinct signatures among A's items")
    signatures_b: int = Field(description="distinct signatures among B's items")
    shared_signatures: int = Field(
        description="signatures found in both (with ``self_excluded``, on two different items)"
    )
    median_nearest_jaccard: float | None = Field(
        description="median over A of the best Jaccard with a B item"
    )
    nearest_exact: bool = Field(
        description="every pair was scored, so the median is exact (else it is a lower bound)"
    )
    examples: list[ItemMatch] = Field(description="the most contaminated items of A first")
    self_excluded: bool = Field(
        default=False,
        description="A and B are one collection: no item was compared with itself (same id)",
    )
    max_rate: float | None = None
    passed: bool | None = Field(default=None, description="rate <= max_rate (None: no max)")

    def method(self, name: Method) -> MethodCount:
        return next(m for m in self.methods if m.method == name)


def text_of(value: object) -> str:
    """The text an item's input stands for: itself, a chat conversation's messages but the system
    prompt, or its string values in order."""
    if isinstance(value, str):
        return value
    if _is_chat(value):
        return " ".join(
            text_of(m.get("content")) for m in value if m.get("role") not in _SYSTEM_ROLES
        )
    if isinstance(value, dict):
        if value.get("type") == "text" and isinstance(value.get("text"), str):
            return value["text"]  # a content part of a chat message
        return " ".join(text_of(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(text_of(v) for v in value)
    return "" if value is None else str(value)


def _is_chat(value: object) -> TypeGuard[list[dict[str, object]]]:
    """A chat conversation: a non-empty list of objects that all have a text ``role``."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in value)
    )


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def containment(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    return len(a & b) / len(a) if a else 0.0


def jaccard(a: set[str], b: set[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


Key = TypeVar("Key", str, tuple[str, ...])


def _incidence(items: list[set[Key]], vocabulary: dict[Key, int], grow: bool) -> sparse.csr_matrix:
    """Items × vocabulary, 1 where the item has the term; ``grow`` adds unseen terms (B's side),
    otherwise they are left out (an A term no B item has cannot be shared)."""
    indptr, indices = [0], []
    for item in items:
        for term in item:
            column = vocabulary.setdefault(term, len(vocabulary)) if grow else vocabulary.get(term)
            if column is not None:
                indices.append(column)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix(
        (data, np.array(indices, dtype=np.int64), np.array(indptr, dtype=np.int64)),
        shape=(len(items), max(1, len(vocabulary))),
    )


def _row_best(matrix: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the largest stored value (0 for an empty row) and its column (-1 for an empty
    row; the smallest column among ties, so results do not depend on storage order)."""
    n = matrix.shape[0]
    best, where = np.zeros(n), np.full(n, -1, dtype=np.int64)
    counts = np.diff(matrix.indptr)
    rows = counts > 0
    if not rows.any():
        return best, where
    starts = matrix.indptr[:-1][rows]
    best[rows] = np.maximum.reduceat(matrix.data, starts)
    is_best = matrix.data == np.repeat(best, counts)
    columns = np.where(is_best, matrix.indices.astype(np.int64), np.iinfo(np.int64).max)
    where[rows] = np.minimum.reduceat(columns, starts)
    return best, where


def _without_self(matrix: sparse.csr_matrix, own: np.ndarray) -> sparse.csr_matrix:
    """``matrix`` (A rows × B columns) without each row's own column (``own``: -1 for none)."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    matrix.data[matrix.indices == own[rows]] = 0
    matrix.eliminate_zeros()
    return matrix


def _best_containment(
    grams_a: list[set[tuple[str, ...]]], grams_b: list[set[tuple[str, ...]]], own: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per A item, the best containment in B and the B index (-1: no shared n-gram), through an
    inverted index: the sparse product counts shared n-grams of the pairs that have any."""
    vocabulary: dict[tuple[str, ...], int] = {}
    b_t = _incidence(grams_b, vocabulary, grow=True).T.tocsr()
    sizes = np.array([max(1, len(g)) for g in grams_a], dtype=np.float64)
    best, where = np.zeros(len(grams_a)), np.full(len(grams_a), -1, dtype=np.int64)
    for start in range(0, len(grams_a), _CHUNK):
        stop = min(len(grams_a), start + _CHUNK)
        chunk = _incidence(grams_a[start:stop], vocabulary, grow=False)
        product = _without_self((chunk @ b_t).tocsr(), own[start:stop])
        shared, columns = _row_best(product)
        best[start:stop] = shared / sizes[start:stop]
        where[start:stop] = columns
    return best, where


def _best_jaccard(
    sets_a: list[set[str]], sets_b: list[set[str]], pairs_a: np.ndarray, pairs_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per A item, the best exact Jaccard among its candidate pairs and the B index (-1: none)."""
    vocabulary: dict[str, int] = {}
    matrix_b = _incidence(sets_b, vocabulary, grow=True)
    matrix_a = _incidence(sets_a, vocabulary, grow=False)
    size_a = np.array([len(s) for s in sets_a], dtype=np.float64)
    size_b = np.array([len(s) for s in sets_b], dtype=np.float64)
    scores = np.zeros(len(pairs_a))
    for start in range(0, len(pairs_a), _PAIR_CHUNK):
        i, j = pairs_a[start : start + _PAIR_CHUNK], pairs_b[start : start + _PAIR_CHUNK]
        shared = np.asarray(matrix_a[i].multiply(matrix_b[j]).sum(axis=1)).ravel()
        scores[start : start + _PAIR_CHUNK] = shared / np.maximum(size_a[i] + size_b[j] - shared, 1)
    table = sparse.csr_matrix(
        (scores + _PRESENT, (pairs_a, pairs_b)), shape=(len(sets_a), max(1, len(sets_b)))
    )
    best, where = _row_best(table)
    return np.maximum(best - _PRESENT, 0.0), where


def _minhashes(word_sets: list[set[str]], num_perm: int) -> list[MinHash]:
    """datasketch's MinHash of each set, with its default hash (SHA-1, 32 bits) computed once per
    distinct word rather than once per occurrence."""
    hashes: dict[bytes, int] = {}
    for word_set in word_sets:
        for word in word_set:
            key = word.encode()
            if key not in hashes:
                hashes[key] = sha1_hash32(key)
    encoded = ([w.encode() for w in s] for s in word_sets)
    return MinHash.bulk(encoded, num_perm=num_perm, hashfunc=hashes.__getitem__)


@dataclass
class _Side:
    """One set's items as the methods read them, computed once."""

    examples: Sequence[Example]
    texts: list[str]
    word_sets: list[set[str]]
    grams: list[set[tuple[str, ...]]]
    signatures: list[str | None]


def _side(
    examples: Sequence[Example], settings: ContaminationSettings, signature: SignatureFn | None
) -> _Side:
    texts = [text_of(e.input) for e in examples]
    tokens = [words(t) for t in texts]
    use_signature = settings.signature and signature is not None
    return _Side(
        examples=examples,
        texts=texts,
        word_sets=[set(t) for t in tokens],
        grams=[ngrams(t, settings.ngram) for t in tokens],
        signatures=[signature(e) for e in examples] if use_signature else [None] * len(examples),  # type: ignore[misc]
    )


def _all_pairs_jaccard(
    sets_a: list[set[str]], sets_b: list[set[str]], own: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per A item, the best exact Jaccard over every B item and its index (-1: no shared word)."""
    vocabulary: dict[str, int] = {}
    b_t = _incidence(sets_b, vocabulary, grow=True).T.tocsr()
    size_a = np.array([len(s) for s in sets_a], dtype=np.float64)
    size_b = np.array([len(s) for s in sets_b], dtype=np.float64)
    best, where = np.zeros(len(sets_a)), np.full(len(sets_a), -1, dtype=np.int64)
    for start in range(0, len(sets_a), _CHUNK):
        stop = min(len(sets_a), start + _CHUNK)
        shared = (_incidence(sets_a[start:stop], vocabulary, grow=False) @ b_t).tocsr()
        shared = _without_self(shared, own[start:stop])
        rows = np.repeat(np.arange(stop - start), np.diff(shared.indptr))
        union = size_a[start:stop][rows] + size_b[shared.indices] - shared.data
        shared.data = shared.data / np.maximum(union, 1)
        best[start:stop], where[start:stop] = _row_best(shared)
    return best, where


def _own_rows(a: _Side, b: _Side, exclude_self: bool) -> np.ndarray:
    """Per A item, the index of the B item of the same id (-1: none, or not excluding self)."""
    own = np.full(len(a.examples), -1, dtype=np.int64)
    if exclude_self:
        index_of = {e.id: j for j, e in enumerate(b.examples)}
        for i, example in enumerate(a.examples):
            own[i] = index_of.get(example.id, -1)
    return own


def _nearest(
    a: _Side, b: _Side, settings: ContaminationSettings, exclude_self: bool = False
) -> list[ItemMatch]:
    own = _own_rows(a, b, exclude_self)
    best_c, where_c = _best_containment(a.grams, b.grams, own)
    if len(a.examples) * len(b.examples) <= settings.exact_pairs:
        best_j, where_j = _all_pairs_jaccard(a.word_sets, b.word_sets, own)
    else:
        best_j, where_j = _lsh_jaccard(a, b, settings, where_c, own)
    # The first two B items of each signature: one of them is not the A item itself.
    first_of: dict[str, list[int]] = {}
    for index, value in enumerate(b.signatures):
        if value is not None and len(first_of.setdefault(value, [])) < 2:
            first_of[value].append(index)
    matches = []
    for i, example in enumerate(a.examples):
        sig = a.signatures[i]
        others = [j for j in first_of.get(sig, []) if j != own[i]] if sig is not None else []
        sig_j = others[0] if others else -1
        c_j, j_j = int(where_c[i]), int(where_j[i])
        methods: list[Method] = []
        if c_j >= 0 and best_c[i] >= settings.containment:
            methods.append("ngram")
        if j_j >= 0 and best_j[i] >= settings.jaccard:
            methods.append("minhash")
        if sig_j >= 0:
            methods.append("signature")
        nearest = j_j if j_j >= 0 else c_j
        matches.append(
            ItemMatch(
                a_id=example.id,
                a_text=_clip(a.texts[i]),
                b_id=b.examples[nearest].id if nearest >= 0 else None,
                b_text=_clip(b.texts[nearest]) if nearest >= 0 else None,
                jaccard=float(best_j[i]),
                jaccard_b_id=b.examples[j_j].id if j_j >= 0 else None,
                containment=float(best_c[i]),
                containment_b_id=b.examples[c_j].id if c_j >= 0 else None,
                signature=sig,
                signature_b_id=b.examples[sig_j].id if sig_j >= 0 else None,
                methods=methods,
            )
        )
    return matches


def _lsh_jaccard(
    a: _Side, b: _Side, settings: ContaminationSettings, where_c: np.ndarray, own: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per A item, the best exact Jaccard among its LSH candidates and its best n-gram match."""
    candidates = _lsh_candidates(a.word_sets, b.word_sets, settings)
    lengths = np.array([len(c) for c in candidates], dtype=np.int64)
    pairs_a = np.concatenate(
        [np.repeat(np.arange(len(candidates)), lengths), np.flatnonzero(where_c >= 0)]
    )
    pairs_b = np.concatenate(
        [
            np.fromiter(chain.from_iterable(candidates), dtype=np.int64, count=int(lengths.sum())),
            where_c[where_c >= 0],
        ]
    )
    width = max(1, len(b.examples))
    keys = np.sort(pairs_a * width + pairs_b)
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys
    pairs_a, pairs_b = keys // width, keys % width
    other = pairs_b != own[pairs_a]
    pairs_a, pairs_b = pairs_a[other], pairs_b[other]
    return _best_jaccard(a.word_sets, b.word_sets, pairs_a, pairs_b)


def _lsh_candidates(
    sets_a: list[set[str]], sets_b: list[set[str]], settings: ContaminationSettings
) -> list[list[int]]:
    """Per A item, the B items whose MinHash falls in one of its LSH buckets."""
    if not sets_a or not sets_b:
        return [[] for _ in sets_a]
    lsh = MinHashLSH(
        threshold=min(settings.jaccard, 0.99), num_perm=settings.num_perm, weights=_LSH_WEIGHTS
    )
    with lsh.insertion_session() as session:
        for index, hashed in enumerate(_minhashes(sets_b, settings.num_perm)):
            if sets_b[index]:
                session.insert(index, hashed, check_duplication=False)
    return [
        lsh.query(hashed) if sets_a[index] else []
        for index, hashed in enumerate(_minhashes(sets_a, settings.num_perm))
    ]


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


def _report(
    matches: list[ItemMatch],
    a: _Side,
    b: _Side,
    settings: ContaminationSettings,
    a_label: str,
    b_label: str,
    examples: int,
    max_rate: float | None,
    with_signature: bool,
    exclude_self: bool,
) -> ContaminationReport:
    n_a = len(matches)

    def rate(count: int) -> float | None:
        return count / n_a if n_a else None

    scored = {
        "ngram": sum(1 for g in a.grams if g),
        "minhash": sum(1 for w in a.word_sets if w),
        "signature": sum(1 for s in a.signatures if s is not None),
    }
    thresholds = {"ngram": settings.containment, "minhash": settings.jaccard, "signature": None}
    counts = []
    for method in METHODS:
        if method == "signature" and not with_signature:
            continue
        flagged = sum(1 for m in matches if method in m.methods)
        counts.append(
            MethodCount(
                method=method,
                threshold=thresholds[method],
                scored=scored[method],
                contaminated=flagged,
                rate=rate(flagged),
            )
        )
    sigs_a = {s for s in a.signatures if s is not None}
    sigs_b = {s for s in b.signatures if s is not None}
    shared = sigs_a & sigs_b
    if exclude_self:  # a signature only the item itself has on both sides is not shared
        ids: dict[str, set[str]] = {}
        for side in (a, b):
            for example, value in zip(side.examples, side.signatures, strict=True):
                if value in shared:
                    ids.setdefault(value, set()).add(example.id)
        shared = {value for value in shared if len(ids[value]) > 1}
    contaminated = sum(1 for m in matches if m.contaminated)
    overall = rate(contaminated)
    ranked = sorted(matches, key=lambda m: (-len(m.methods), -m.jaccard, -m.containment, m.a_id))
    return ContaminationReport(
        a=a_label,
        b=b_label,
        n_a=n_a,
        n_b=len(b.examples),
        settings=settings,
        methods=counts,
        contaminated=contaminated,
        rate=overall,
        signatures_a=len(sigs_a),
        signatures_b=len(sigs_b),
        shared_signatures=len(shared),
        median_nearest_jaccard=statistics.median(m.jaccard for m in matches) if matches else None,
        nearest_exact=n_a * len(b.examples) <= settings.exact_pairs,
        examples=ranked[: max(0, examples)],
        self_excluded=exclude_self,
        max_rate=max_rate,
        passed=None if max_rate is None else (overall or 0.0) <= max_rate,
    )


def nearest_matches(
    a: Sequence[Example],
    b: Sequence[Example],
    settings: ContaminationSettings | None = None,
    signature: SignatureFn | None = None,
    *,
    exclude_self: bool = False,
) -> list[ItemMatch]:
    """For every item of A, its nearest items of B by each method and the methods that flag it
    (with ``exclude_self``, never the B item of its own id)."""
    settings = settings or ContaminationSettings()
    side_a, side_b = _side(a, settings, signature), _side(b, settings, signature)
    return _nearest(side_a, side_b, settings, exclude_self)


def find_contamination(
    a: Sequence[Example],
    b: Sequence[Example],
    settings: ContaminationSettings | None = None,
    signature: SignatureFn | None = None,
    *,
    a_label: str = "A",
    b_label: str = "B",
    examples: int = 10,
    max_rate: float | None = None,
    exclude_self: bool = False,
) -> ContaminationReport:
    """Which items of A have a near-duplicate in B: counts and rates per method and overall,
    signature overlap, the median nearest Jaccard, the top ``examples`` items and the verdict
    against ``max_rate`` (``passed`` is None without one). ``exclude_self`` when A and B are one
    collection (A may be a split of it): an item is then compared with the others only, not with
    the B item of its own id, which would always be a perfect match."""
    settings = settings or ContaminationSettings()
    side_a, side_b = _side(a, settings, signature), _side(b, settings, signature)
    matches = _nearest(side_a, side_b, settings, exclude_self)
    with_signature = settings.signature and signature is not None
    return _report(
        matches,
        side_a,
        side_b,
        settings,
        a_label,
        b_label,
        examples,
        max_rate,
        with_signature,
        exclude_self,
    )
