"""The sans-I/O core: queues, matching, chat lifecycle and statistics.

Nothing in here awaits, reads a clock, touches a socket or the database, or
imports anything outside the standard library. Time arrives as an argument
(``now``, seconds as a float on a monotonic scale chosen by the caller) and
randomness through an injected :class:`~helpline.core.ids.IdSource`.
"""
