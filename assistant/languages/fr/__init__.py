"""French: what the assistant knows of it (profile.py) and says in it (strings.py)."""

from assistant.languages.fr.profile import PROFILE
from assistant.languages.fr.strings import STRINGS

__all__ = ["PROFILE", "STRINGS"]
