"""Dutch: what the assistant knows of it (profile.py) and says in it (strings.py)."""

from assistant.languages.nl.profile import PROFILE
from assistant.languages.nl.strings import STRINGS

__all__ = ["PROFILE", "STRINGS"]
