"""Two of Whoosh's query matchers corrected: AndMaybe's skip_to and AndNot's first document.

Both are bugs in Whoosh's own ``whoosh.matching.binary``; the corrected methods replace the
stock ones on the classes, since ``Query.matcher`` builds these matchers itself and takes no
class to use instead.
"""

from __future__ import annotations

from whoosh.matching import binary
from whoosh.matching.mcore import ReadTooFar


def andmaybe_skip_to(self, id):
    """AndMaybeMatcher.skip_to that moves the optional side to where the required side
    landed. Stock skip_to moves it to the requested id, which the required side may have
    passed: the optional side then stops short of the current document, and its score (a
    phrase bonus) is dropped for that document."""
    if not self.a.is_active():
        raise ReadTooFar
    moved_required = self.a.skip_to(id)
    moved_optional = False
    if self.a.is_active() and self.b.is_active():
        moved_optional = self.b.skip_to(self.a.id())
    return moved_required or moved_optional


def andnot_find_first(self):
    """AndNotMatcher._find_first that always checks the first document against the excluded
    side. Stock _find_first looks further only when both sides start on the same document;
    when the excluded side starts earlier it is never moved forward, so an excluded first
    document is matched ("-diablo beta" answered with a Diablo article)."""
    if self.a.is_active() and self.b.is_active():
        self._find_next()


def fix_matchers() -> None:
    if getattr(binary.AndMaybeMatcher, "_newsfinder_fixed", False):
        return
    # Whoosh's own, kept for the tests that show what the fixes change.
    binary.AndMaybeMatcher.whoosh_skip_to = binary.AndMaybeMatcher.skip_to
    binary.AndNotMatcher.whoosh_find_first = binary.AndNotMatcher._find_first
    binary.AndMaybeMatcher.skip_to = andmaybe_skip_to
    binary.AndNotMatcher._find_first = andnot_find_first
    binary.AndMaybeMatcher._newsfinder_fixed = True
