"""The story of ecert told with its real parts, step by step, for ``ecert demo``.

Each module holds the plain functions of one role: :mod:`ecert.story.chain` (the council and the
embedded registry node), :mod:`ecert.story.office` (an issuing office) and
:mod:`ecert.story.bank` (a verifier with its own replica). Everything runs in-process, offline,
at fixed times passed in as ``now``, with demo keys derived from public labels, so every run
prints the same hashes. ``ecert/commands/demo.py`` calls them in order and prints what happened.
"""
