"""Grading: the rubric, the evidence pass over the signal layer (``signals``), the LLM judge, and the typed report
(``report``: what is returned, stored and read everywhere; ``compose`` builds it). ``context`` turns a persona and
the settings into what the grader needs, so ``python -m grading FILE`` runs without services or a database."""
