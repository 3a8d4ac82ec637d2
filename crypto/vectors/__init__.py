"""Known-answer test vectors for HLP1 (``hlp1.json``) and their generator (``generate.py``)."""
