"""Source connectors: one module per upstream, each a fetch step and a pure mapping."""
