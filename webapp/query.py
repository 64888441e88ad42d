"""Where a query is parsed: user text to clauses, each a Whoosh query, ready to be relaxed.

The text is split into top-level clauses (a word, a "quoted phrase", a field:value, a
wildcard, an -exclusion); each is parsed by Whoosh's own parser. Keeping clauses separate
lets the search drop a clause that matches nothing (the way Meilisearch's matching strategy
does) and tell the reader which words were matched, corrected, dropped or ignored. Queries
with OR, AND, NOT or parentheses are parsed whole by Whoosh and not relaxed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import qparser
from whoosh.fields import Schema
from whoosh.query import And, AndMaybe, AndNot, Every, NullQuery, Or, Phrase, Prefix, Query, Term, Wildcard

from indexer.schema import FIELD_BOOSTS, FIELD_PREFIXES, PHRASE_BOOSTS, TEXT_FIELDS, WORDS_FIELD, text_analyzer
from webapp.ranking import ADJACENT_BOOSTS, PHRASE_SLOP

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 32
MAX_EXPANSIONS = 50
CLAUSE_CACHE = 10_000
TOKEN = re.compile(r'-?(?:[\w.]+:)?"[^"]*"?|\S+')
OPERATORS = re.compile(r"(?:^|\s)(?:AND|OR|NOT|ANDNOT|ANDMAYBE)(?:\s|$)|[()]")
PLAIN_WORD = re.compile(r"^[^\W\d_]+$")
# "Diablo IV" and "Diablo 4" name one game, Blizzard's own posts use the first, most sites the
# second: "diablo iv beta" found 36 stories where "diablo 4 beta" finds 280. A number from 2 to 20
# also matches its Roman numeral and the other way round; 1, 5 and 10 are left out, their numerals
# being single letters ("Xbox Series X").
ROMAN_NUMERALS = dict(zip(
    "ii iii iv vi vii viii ix xi xii xiii xiv xv xvi xvii xviii xix xx".split(),
    "2 3 4 6 7 8 9 11 12 13 14 15 16 17 18 19 20".split()))
NUMERAL_TWINS = {**ROMAN_NUMERALS, **{number: numeral for numeral, number in ROMAN_NUMERALS.items()}}
# Between two words, these join what a reader compares and say nothing themselves: ignored like
# stop words (Whoosh's English list lacks them). "sorceress vs sorcerer" matched nothing with all
# three, and "vs", in 6 articles, was kept as the most telling word: VS Code posts came first.
# Elsewhere they are words ("vs code").
CONNECTORS = frozenset({"vs", "vs.", "versus"})
# "pre-order" and "e-mail" are also written "preorder" and "email": a hyphenated word matches both.
HYPHENATED = re.compile(r"^[^\W\d_]+(?:-[^\W\d_]+)+$")
# "colector's edition": the word before a possessive is spell-checked like a plain word.
POSSESSIVE = re.compile(r"^([^\W\d_]+)(['’]s)$", re.IGNORECASE)
ANALYZER = text_analyzer()


RARE_WORD = 2  # a word in at most this many articles may be a typo of a common one
MAX_CORRECTED_LENGTH = 30  # longer "words" are not language; looking for neighbours would only cost time


def typo_distance(word: str) -> int:
    """Edits allowed for a word of this length: none up to 3 letters, 1 up to 7, then 2."""
    if len(word) <= 3 or len(word) > MAX_CORRECTED_LENGTH:
        return 0
    return 1 if len(word) <= 7 else 2


@dataclass
class Clause:
    text: str
    query: Query
    kind: str  # word, phrase, field, wildcard, exclude, stopword
    corrected: str | None = None
    suggested: str | None = None
    capped: bool = False

    @property
    def positive(self) -> bool:
        return self.kind not in ("exclude", "stopword")


@dataclass
class ParsedQuery:
    text: str
    clauses: list[Clause] = field(default_factory=list)
    whole: Query | None = None  # set for queries with operators, parsed as one
    truncated: bool = False  # words beyond MAX_CLAUSES were left out

    @property
    def empty(self) -> bool:
        """Nothing to match on (no text, or only a bare *): every article qualifies."""
        return self.whole is None and not any(c.kind != "stopword" for c in self.clauses) and not self.only_stopwords

    @property
    def only_stopwords(self) -> bool:
        return (self.whole is None and all(c.kind == "stopword" for c in self.clauses)
                and stopword_query(self) is not NullQuery)

    def build(self, active: list[Clause] | None = None) -> Query:
        """The Whoosh query for the given positive clauses (default: all), with exclusions."""
        if self.whole is not None:
            return self.whole
        positive = [c for c in (active if active is not None else self.clauses) if c.positive]
        excluded = [c.query for c in self.clauses if c.kind == "exclude"]
        if not positive:
            return NullQuery
        query = positive[0].query if len(positive) == 1 else And([c.query for c in positive])
        query = with_proximity_boost(query, [c for c in positive if c.kind == "word"])
        if excluded:
            query = AndNot(query, Or(excluded))
        return query

    def suggestion(self) -> str | None:
        """The query text with corrected or suggested words, if any differ."""
        replaced = False
        words = []
        for clause in self.clauses:
            better = clause.corrected or clause.suggested
            words.append(better or clause.text)
            replaced = replaced or bool(better)
        return " ".join(words) if replaced else None

    def word_report(self, active: list[Clause]) -> list[dict]:
        report = []
        for clause in self.clauses:
            if clause.kind == "stopword":
                status = "ignored"
            elif clause.kind == "exclude":
                status = "excluded"
            else:
                status = "matched" if clause in active else "dropped"
            entry = {"text": clause.text, "status": status}
            if clause.corrected:
                entry["corrected_to"] = clause.corrected
            if clause.capped:
                entry["expansions_capped"] = True
            report.append(entry)
        return report


def search_schema(schema: Schema) -> Schema:
    """The fields a reader may search, under the names they may use as prefixes."""
    fields = Schema()
    for alias, name in FIELD_PREFIXES.items():
        fields.add(alias, schema[name])
    return fields


class QueryParser:
    """Parses reader text against one opened index (for vocabulary and wildcard expansion)."""

    def __init__(self, snapshot):
        self.snapshot = snapshot
        self.reader = snapshot.searcher.reader()
        self.schema = search_schema(snapshot.searcher.schema)
        self.parser = qparser.MultifieldParser(list(TEXT_FIELDS), self.schema, fieldboosts=FIELD_BOOSTS)
        self.parser.remove_plugin_class(qparser.FieldsPlugin)
        self.parser.add_plugin(qparser.FieldsPlugin(remove_unknown=True))
        self.clauses: dict[str, Clause] = {}

    def parse(self, text: str) -> ParsedQuery:
        text = " ".join((text or "").split())[:MAX_QUERY_CHARS]
        parsed = ParsedQuery(text)
        if not text:
            return parsed
        tokens = TOKEN.findall(text)
        parsed.truncated = len(tokens) > MAX_CLAUSES
        tokens = tokens[:MAX_CLAUSES]
        if OPERATORS.search(text):
            whole = self.parse_text(" ".join(tokens))
            parsed.whole = self.cap_expansions(self.rename_fields(whole))[0]
            return parsed
        for n, token in enumerate(tokens):
            if token.lower() in CONNECTORS and 0 < n < len(tokens) - 1:
                parsed.clauses.append(Clause(token, NullQuery, "stopword"))
            else:
                parsed.clauses.append(self.cached_clause(token))
        return parsed

    def cached_clause(self, token: str) -> Clause:
        """Clauses are not changed once made, and words recur across queries far more than
        queries do: each is parsed (and spell-checked) once per index generation."""
        clause = self.clauses.get(token)
        if clause is None:
            if len(self.clauses) >= CLAUSE_CACHE:
                self.clauses.clear()
            clause = self.clauses[token] = self.clause(token)
        return clause

    def parse_text(self, text: str) -> Query:
        try:
            return self.parser.parse(text)
        except Exception:  # Whoosh's parser is lenient, but a query must never cause a 500
            return self.parser.parse(re.sub(r"[^\w\s]", " ", text))

    def parse_word(self, word: str) -> Query:
        """What Whoosh's parser makes of one plain word (one Term per text field, each with its
        field boost), built directly: its plugin passes cost about a millisecond per word.
        tests/test_whoosh_equivalence.py compares the two on the corpus vocabulary."""
        if not PLAIN_WORD.match(word):
            return self.parse_text(word)
        stems = [token.text for token in ANALYZER(word, mode="query")]
        if len(stems) != 1:
            return self.parse_text(word)
        return Or([Term(name, stems[0], boost=FIELD_BOOSTS.get(name, 1.0)) for name in TEXT_FIELDS])

    def clause(self, token: str) -> Clause:
        if token.startswith("-") and len(token) > 1:
            inner = self.clause(token[1:])
            return Clause(token, inner.query, "stopword" if inner.kind == "stopword" else "exclude")
        prefix, colon, value = token.partition(":")
        if colon and value and prefix.lower() not in FIELD_PREFIXES and '"' not in prefix:
            token = value  # not a field readers can search: look for the value as text
        if PLAIN_WORD.match(token):
            query, capped = self.parse_word(token), False
        else:
            query, capped = self.cap_expansions(self.rename_fields(self.parse_text(token)))
            if HYPHENATED.match(token):
                query = Or([query, self.parse_word(token.replace("-", ""))])
        twin = NUMERAL_TWINS.get(token.lower())
        if twin:
            query = Or([query, self.parse_word(twin)])
        kind = "phrase" if '"' in token else "field" if ":" in token else "wildcard" if re.search(r"[*?]", token) else "word"
        if kind != "wildcard" and (query is NullQuery or not any(True for _ in query.iter_all_terms())):
            return Clause(token, NullQuery, "stopword")
        if any(isinstance(leaf, Every) for leaf in query.leaves()):
            return Clause(token, NullQuery, "stopword")  # a bare * asks for everything: like no query
        clause = Clause(token, query, kind, capped=capped)
        possessive = POSSESSIVE.match(token)
        if kind == "word" and PLAIN_WORD.match(token):
            self.correct(clause, token)
        elif kind == "word" and possessive:
            self.correct(clause, possessive[1], possessive[2])
        return clause

    def correct(self, clause: Clause, word: str, ending: str = "") -> None:
        """Unknown words also match their closest known spellings; rare words get a suggestion.
        ``ending``: a possessive 's after the word, kept on the corrected spelling."""
        word = word.lower()
        maxdist = typo_distance(word)
        if not maxdist:
            return
        frequency = self.snapshot.vocabulary.doc_frequency(word)
        if frequency > RARE_WORD:
            return  # a word the collection uses is taken as meant: no lookup of neighbours
        candidates = self.snapshot.vocabulary.near(word, maxdist)
        if not candidates:
            return
        if frequency == 0:
            closest = [c for c in candidates if c[1] == candidates[0][1]][:3]
            alternatives = [self.parse_word(w) for w, _, _ in closest]
            clause.query = Or([clause.query, *alternatives])
            clause.corrected = closest[0][0] + ending
        elif candidates[0][2] >= 10 * frequency:
            clause.suggested = candidates[0][0] + ending

    def cap_expansions(self, query: Query) -> tuple[Query, bool]:
        """Replace each wildcard by its most frequent expansions (at most MAX_EXPANSIONS)."""
        capped = False

        def expand(node: Query) -> Query:
            nonlocal capped
            if isinstance(node, (Prefix, Wildcard)):
                terms = [t for _, t in node.expanded_terms(self.reader)]
                if len(terms) > MAX_EXPANSIONS:
                    capped = True
                    terms = sorted(terms, key=lambda t: -self.reader.doc_frequency(node.fieldname, t))[:MAX_EXPANSIONS]
                words = [t.decode("utf-8") if isinstance(t, bytes) else t for t in terms]
                return Or([Term(node.fieldname, w, boost=node.boost) for w in words]) if words else NullQuery
            return node if node.is_leaf() else node.apply(expand)

        return expand(query), capped

    def rename_fields(self, query: Query) -> Query:
        """Map reader-facing prefixes (topic:) to index fields (topics)."""

        def rename(node: Query) -> Query:
            if node.is_leaf():
                name = getattr(node, "fieldname", None)
                if name in FIELD_PREFIXES and FIELD_PREFIXES[name] != name:
                    node = node.copy()
                    node.fieldname = FIELD_PREFIXES[name]
                return node
            return node.apply(rename)

        return rename(query)


def with_proximity_boost(query: Query, words: list[Clause]) -> Query:
    """Reward articles whose title or excerpt has the query's words close together and in order.

    Documents where the plain words also form (nearly) a phrase get the phrase's score on
    top, as a reader expects for a remembered headline, and more where they stand side by side.
    """
    terms = [token.text for clause in words for token in ANALYZER(clause.text)]
    if len(terms) < 2:
        return query
    near = [Phrase(field, terms, slop=PHRASE_SLOP, boost=boost) for field, boost in PHRASE_BOOSTS.items()]
    adjacent = [Phrase(field, terms, slop=1, boost=boost) for field, boost in ADJACENT_BOOSTS.items()]
    return AndMaybe(query, Or(near + adjacent))


def stopword_query(parsed: ParsedQuery) -> Query:
    """For a query made only of stop words, search the unstemmed vocabulary field."""
    words = [token.lower() for clause in parsed.clauses if clause.kind == "stopword"
             for token in re.findall(r"\w+", clause.text)]
    return And([Term(WORDS_FIELD, w) for w in words]) if words else NullQuery
