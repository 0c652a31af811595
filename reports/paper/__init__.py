"""``imputebench export paper``: tables (LaTeX, markdown, CSV), figures (PDF, PNG), references.bib
and a provenance README from result rows, for a paper or its supplement.

Modules: ``selection`` (the filters), ``tables`` and ``layouts`` (pure tables), ``latex`` and
``markdown`` (writers), ``style`` and ``figures`` (matplotlib, imported only here), ``bib``
(citations), ``readme`` (provenance), ``transfer`` (the transfer track's part), ``export`` (the edge
that writes the folder).
"""
