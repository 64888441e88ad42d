"""Where a query is parsed: user text to clauses, each a Whoosh query, ready to be relaxed.

The text is split into top-level clauses (a word, a "quoted phrase", a field:value, a
wildcard, an -exclusion); each is parsed by Whoosh's own parser. Keeping clauses separate
lets the search drop a clause that matches nothing (the way Meilisearch's matching strategy
does) and tell the reader which words were matched, corrected, dropped or ignored. Queries
with OR, AND, NOT or parentheses are parsed whole by Whoosh and not relaxed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from whoosh import qparser
from whoosh.analysis import STOP_WORDS
from whoosh.fields import Schema
from whoosh.query import And, AndMaybe, AndNot, Every, NullQuery, Or, Phrase, Prefix, Query, Term, Wildcard

from indexer.schema import FIELD_BOOSTS, FIELD_PREFIXES, PHRASE_BOOSTS, TEXT_FIELDS, WORDS_FIELD, text_analyzer
from webapp.dictionary import is_dictionary_word
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
# Question words ask; the other words say what about. Beside other words they are ignored like
# stop words (Whoosh's list already holds is, are, can, when...), so "what is a world boss" does
# not require "what". A query of question words alone keeps them ("the who").
QUESTION_WORDS = frozenset("what where who whom whose why how which do does did could should would was were".split())
# A word the typed fragment starts counts, but less than the word itself: "diablo 4 beta" typed
# whole never ranks "betas" above "beta".
PREFIX_WEIGHT = 0.5
# The most frequent words a fragment starts that it also matches: the rare ones add cost to every
# keystroke and almost nothing to a page.
PREFIX_EXPANSIONS = 10
MIN_PREFIX_CHARS = 2
# A common spelling offered beside a rare one, or two words offered for one written together,
# rank below the word as typed.
ALTERNATIVE_WEIGHT = 0.5
# "diablo4" is also "diablo 4" when both parts are this many times more frequent than it.
SPLIT_SHARE = 10
COMPOUND = re.compile(r"^[^\W_]{4,}$")


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
    prefix: bool = False  # the last word, still being typed: also the words it starts
    fragment: bool = False  # a prefix that is not itself a word of the collection
    alternative: str | None = None  # another spelling or splitting also matched, ranked lower

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
            if clause.prefix:
                entry["prefix"] = True
            if clause.alternative:
                entry["also_matched"] = clause.alternative
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

    def parse(self, text: str, prefix: bool = False) -> ParsedQuery:
        """``prefix``: the last word, unless a space follows it, also matches the words it
        starts, as a reader typing sees the query."""
        still_typing = prefix and bool(text) and not text[-1].isspace()
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
        asking = any(t.lower() not in QUESTION_WORDS and t.lower() not in STOP_WORDS for t in tokens)
        for n, token in enumerate(tokens):
            if token.lower() in CONNECTORS and 0 < n < len(tokens) - 1:
                parsed.clauses.append(Clause(token, NullQuery, "stopword"))
            elif token.lower() in QUESTION_WORDS and asking:
                parsed.clauses.append(Clause(token, NullQuery, "stopword"))
            elif n == len(tokens) - 1 and still_typing:
                parsed.clauses.append(self.cached_clause(token, typing=True))
            else:
                parsed.clauses.append(self.cached_clause(token))
        parsed.clauses = self.with_joined_words(parsed.clauses)
        return parsed

    def with_joined_words(self, clauses: list[Clause]) -> list[Clause]:
        """Two words that the collection also writes as one ("power apps", "powerapps") each
        match the joined word too, so an article that has it counts as having both."""
        clauses = list(clauses)
        for n in range(len(clauses) - 1):
            first, second = clauses[n], clauses[n + 1]
            if not (first.kind == second.kind == "word" and PLAIN_WORD.match(first.text) and PLAIN_WORD.match(second.text)):
                continue
            joined = (first.text + second.text).lower()
            if self.snapshot.vocabulary.doc_frequency(joined):
                query = self.word_query(joined)
                clauses[n] = replace(first, query=Or([first.query, query]), alternative=first.alternative or joined)
                clauses[n + 1] = replace(second, query=Or([second.query, query]), alternative=second.alternative or joined)
        return clauses

    def cached_clause(self, token: str, typing: bool = False) -> Clause:
        """Clauses are not changed once made, and words recur across queries far more than
        queries do: each is parsed (and spell-checked) once per index generation."""
        key = (token, typing)
        clause = self.clauses.get(key)
        if clause is None:
            if len(self.clauses) >= CLAUSE_CACHE:
                self.clauses.clear()
            clause = self.clauses[key] = self.typed_clause(token) if typing else self.clause(token)
        return clause

    def typed_clause(self, token: str) -> Clause:
        """The last word as it is being typed: the word, and the most frequent words it starts.
        A fragment that is no word at all is not spell-checked ("necro" is not a typo)."""
        word = token.lower()
        if not PLAIN_WORD.match(token) or len(word) < MIN_PREFIX_CHARS:
            return self.cached_clause(token)
        own = {t.text for t in ANALYZER(word, mode="query")}
        started = [w for w, _ in self.snapshot.vocabulary.completions(word, PREFIX_EXPANSIONS + 1) if w != word]
        stems = sorted({t.text for w in started for t in ANALYZER(w, mode="query")} - own)
        if not stems:
            return self.cached_clause(token)
        fragment = not self.snapshot.vocabulary.doc_frequency(word)
        whole = self.cached_clause(token)
        kept = whole if whole.kind == "word" and not fragment else Clause(token, self.parse_word(token), "word")
        expansions = [Term(name, stem, boost=FIELD_BOOSTS.get(name, 1.0) * PREFIX_WEIGHT)
                      for stem in stems for name in TEXT_FIELDS]
        parts = [kept.query, *expansions] if kept.query is not NullQuery else expansions
        return replace(kept, query=Or(parts), prefix=True, fragment=fragment)

    def parse_text(self, text: str) -> Query:
        try:
            return self.parser.parse(text)
        except Exception:  # Whoosh's parser is lenient, but a query must never cause a 500
            return self.parser.parse(re.sub(r"[^\w\s]", " ", text))

    def parse_word(self, word: str) -> Query:
        """What Whoosh's parser makes of one plain word (one Term per text field, each with its
        field boost), built directly: its plugin passes are slow next to a search.
        tests/test_whoosh_equivalence.py compares the two on the corpus vocabulary."""
        if not PLAIN_WORD.match(word):
            return self.parse_text(word)
        return self.word_query(word)

    def word_query(self, word: str, weight: float = 1.0) -> Query:
        """One word of letters or digits in every text field, its field boosts times ``weight``."""
        stems = [token.text for token in ANALYZER(word, mode="query")]
        if len(stems) != 1:
            return self.parse_text(word)
        return Or([Term(name, stems[0], boost=FIELD_BOOSTS.get(name, 1.0) * weight) for name in TEXT_FIELDS])

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
        split = self.split_word(token) if kind == "word" and COMPOUND.match(token) else None
        if split:
            weight = ALTERNATIVE_WEIGHT if self.snapshot.vocabulary.doc_frequency(token.lower()) else 1.0
            clause.query = Or([query, And([self.word_query(part, weight) for part in split])])
            clause.alternative = " ".join(split)
        elif kind == "word" and PLAIN_WORD.match(token):
            self.correct(clause, token)
        elif kind == "word" and possessive:
            self.correct(clause, possessive[1], possessive[2])
        return clause

    def split_word(self, token: str) -> tuple[str, str] | None:
        """Two words of the collection that the token writes together ("diablo4", "gamepass"),
        each far more frequent than the token itself, or None. Parts are numbers or words of
        three letters or more that are not stop words."""
        word = token.lower()
        vocabulary = self.snapshot.vocabulary
        floor = SPLIT_SHARE * max(1, vocabulary.doc_frequency(word))
        best, best_reach = None, 0
        for cut in range(1, len(word)):
            parts = (word[:cut], word[cut:])
            if not all(p.isdigit() or (len(p) >= 3 and p not in STOP_WORDS) for p in parts):
                continue
            reach = min(vocabulary.doc_frequency(p) for p in parts)
            if reach >= floor and reach > best_reach:
                best, best_reach = parts, reach
        return best

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
        elif candidates[0][2] >= 10 * frequency and not is_dictionary_word(word):
            # "announcment" in one article, "announcement" in many: the typed spelling is the
            # rare typo. "auction" beside "action" is a word of its own and stays as typed.
            clause.suggested = candidates[0][0] + ending
            common = self.word_query(candidates[0][0], ALTERNATIVE_WEIGHT)
            if set(common.iter_all_terms()) - set(clause.query.iter_all_terms()):  # not the same stem
                clause.query = Or([clause.query, common])
                clause.alternative = candidates[0][0]

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
