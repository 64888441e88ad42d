"""The YAML loader for front matter: libyaml's safe loader with a lean constructor.

PyYAML's safe constructor turns libyaml's nodes into Python objects through a general
machinery (a call, a type check and a state per node, generators for mappings and lists) that
was most of the time a reindex spent reading an article. Front matter is mappings, lists,
strings and a few plain numbers, booleans and dates: ``FrontMatterLoader`` builds those
directly and hands anything else (anchors reused, merge keys, sets, custom or binary tags)
to PyYAML's own constructor, so every document loads exactly as ``CSafeLoader`` loads it
(tests/test_articles.py compares the two on the corpus and on unusual YAML).
"""

from __future__ import annotations

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

STR = "tag:yaml.org,2002:str"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
# Plain scalars whose safe constructors return a value (no generator, no shared state).
SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp"))
KEY_TYPES = (str, int, float, bool, type(None))


class Unusual(Exception):
    """A node the lean constructor leaves to PyYAML's."""


# Plain (unquoted) scalar -> its tag. The tag of a plain scalar depends on its text alone, and
# most texts recur: every article's keys, its type, category, provider and booleans.
PLAIN_TAGS: dict[str, str] = {}
PLAIN_TAGS_KEPT = 20_000


if hasattr(yaml, "CSafeLoader"):
    class FrontMatterLoader(yaml.CSafeLoader):
        # A safe loader has no path resolvers: libyaml's composer asks about them per node.
        def descend_resolver(self, current_node, current_index):
            if self.yaml_path_resolvers:
                super().descend_resolver(current_node, current_index)

        def ascend_resolver(self):
            if self.yaml_path_resolvers:
                super().ascend_resolver()

        def resolve(self, kind, value, implicit):
            """The tag of a node, as PyYAML's resolver gives it; a plain scalar's is worked
            out (by PyYAML) once per distinct text."""
            if kind is not ScalarNode or self.yaml_path_resolvers:
                return super().resolve(kind, value, implicit)
            if not implicit[0]:  # quoted: a string
                return self.DEFAULT_SCALAR_TAG
            tag = PLAIN_TAGS.get(value)
            if tag is None:
                if len(PLAIN_TAGS) >= PLAIN_TAGS_KEPT:
                    PLAIN_TAGS.clear()
                tag = PLAIN_TAGS[value] = super().resolve(kind, value, implicit)
            return tag

        def construct_document(self, node):
            try:
                return self.construct_plain(node, set())
            except Unusual:
                return SafeConstructor.construct_document(self, node)

        def construct_plain(self, node, seen: set[int]):
            tag = node.tag
            if tag == STR and type(node) is ScalarNode:
                return node.value
            if type(node) is ScalarNode and tag in SCALAR_TAGS:
                return self.yaml_constructors[tag](self, node)
            if id(node) in seen:  # an alias of a list or mapping: PyYAML shares one object
                raise Unusual
            seen.add(id(node))
            if tag == MAP and type(node) is MappingNode:
                return self.construct_plain_mapping(node, seen)
            if tag == SEQ and type(node) is SequenceNode:
                return [self.construct_plain(item, seen) for item in node.value]
            raise Unusual

        def construct_plain_mapping(self, node, seen: set[int]) -> dict:
            mapping = {}
            for key_node, value_node in node.value:
                if type(key_node) is not ScalarNode or not (key_node.tag == STR or key_node.tag in SCALAR_TAGS):
                    raise Unusual  # merge keys ("<<"), "=" keys, collections as keys
                key = self.construct_plain(key_node, seen)
                if not isinstance(key, KEY_TYPES):
                    raise Unusual
                mapping[key] = self.construct_plain(value_node, seen)
            return mapping
else:  # PyYAML without libyaml: its own pure-Python loader
    FrontMatterLoader = yaml.SafeLoader
