"""Stories: which articles are reports of one story, decided at index time and read by searches to show one hit per story."""
