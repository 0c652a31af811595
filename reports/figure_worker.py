"""Preloaded by the server process that the site's figure workers fork from (see
:func:`imputebench.reports.figures._worker_context`): importing it loads matplotlib and draws one
throw-away figure, so every worker starts with warm fonts and caches."""

from .figures import warm_up

warm_up()
