"""The data contract: canonical tables, their pandera models and the enumerations."""
