"""Serving: the web app, the HTTP API and its guard, the OpenAI-compatible router, the chat's view, and the officials' pages."""
