"""AI drafts of status texts (snippet.suggest) from an OpenAI-compatible API."""
