"""Stories: which articles report one story, decided at index time; searches show one hit per story."""
