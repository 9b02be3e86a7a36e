"""The encounter pages, by sub-flow: ``flow`` (start, step list, skip or pause, comfort, close,
amend), ``steps`` (each step's form), ``escalation`` (danger, injured, not safe to talk) and
``separation`` (protocol, front-desk requests, the runner).  ``common`` holds the step decorator."""
