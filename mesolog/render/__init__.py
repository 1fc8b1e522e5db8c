"""The render layer: the only code that knows Rich. Takes model objects, prints or returns output;
never reads data files.

Nothing is imported here: a command imports the one module it draws with (start-up).

``console`` the plumbing (console, JSON/CSV/Markdown, warnings); ``sessions`` one session;
``report`` one patient; ``clinic`` the overview and the questions across patients;
``exchange`` and ``fhir`` records for other programs.
"""
