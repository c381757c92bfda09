"""Article intake: from an article to a draft facts file for review."""
