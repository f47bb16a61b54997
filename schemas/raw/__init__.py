"""Raw models: what each upstream promises its records look like."""
