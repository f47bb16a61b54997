"""The briefing pack: the current view as a slide deck and a PDF, every number cited.

`model` gathers the facts of one view from the store (the page's own number rules),
`wording` writes them in a language from the `catalogue`, `pictures` draws the charts,
`deck` and `pdf` render the document, `command` is `python -m dashboard brief`.
"""
