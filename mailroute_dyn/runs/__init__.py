"""Runs: a bulk run's journal (each write's before and after, so an interrupted run
can resume) and its undo.
"""
