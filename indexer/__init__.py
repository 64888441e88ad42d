"""Reading article files and keeping a Whoosh index of them (never imports webapp)."""
