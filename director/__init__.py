"""director: an LLM-driven storyboard-to-long-video director.

    from director import Director, Storyboard
    result = Director().make(open("examples/the_kite.fountain").read(), "out/kite.mp4")
"""

from director.api import Director, RenderResult
from director.errors import DirectorError, InputError
from director.storyboard import SCHEMA_VERSION, Storyboard

__all__ = ["Director", "RenderResult", "Storyboard", "DirectorError", "InputError", "SCHEMA_VERSION"]
__version__ = "0.1.0"
