"""Grading: the rubric, the evidence pass over the signal layer (``signals``), the LLM judge, the report."""
