"""English: what the assistant knows of it (profile.py) and says in it (strings.py)."""

from assistant.languages.en.profile import PROFILE
from assistant.languages.en.strings import STRINGS

__all__ = ["PROFILE", "STRINGS"]
