"""Word lists the rules planner reads scripts with: nouns -> categories, colours,
sizes, places in the frame, spatial and action phrases, settings.

Categories match `director.layout.CATEGORY_PRIORS` (sizes and placement) and
the embedded renderer's world, so a word planned here is a thing drawn there.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from director import script

# noun (singular) -> category
NOUNS: dict[str, str] = {
    # people
    **dict.fromkeys(
        [
            "man", "woman", "person", "lady", "gentleman", "farmer", "knight", "king", "queen", "prince",
            "princess", "wizard", "witch", "chef", "cook", "doctor", "teacher", "student", "baker", "sailor",
            "pilot", "detective", "soldier", "mother", "father", "mom", "dad", "grandmother", "grandfather",
            "grandma", "grandpa", "brother", "sister", "friend", "stranger", "officer", "waiter", "waitress",
            "artist", "musician", "dancer", "runner", "fisherman", "astronaut", "pirate", "clown", "nurse",
            "scientist", "gardener", "shopkeeper", "traveler", "traveller", "hunter", "guard", "neighbor",
            "neighbour", "robber", "thief", "policeman", "policewoman",
        ],
        "person",
    ),
    **dict.fromkeys(["boy", "girl", "child", "kid", "baby", "toddler", "son", "daughter"], "child"),
    **dict.fromkeys(["robot", "android", "droid"], "robot"),
    # animals
    **dict.fromkeys(["cat", "kitten", "kitty"], "cat"),
    **dict.fromkeys(["dog", "puppy", "hound", "pup"], "dog"),
    **dict.fromkeys(["bird", "sparrow", "crow", "parrot", "seagull", "gull", "pigeon", "eagle", "robin", "swallow"], "bird"),
    "owl": "owl",
    "fox": "fox",
    **dict.fromkeys(["rabbit", "bunny", "hare"], "rabbit"),
    **dict.fromkeys(["horse", "pony", "stallion", "mare"], "horse"),
    **dict.fromkeys(["cow", "bull", "calf"], "cow"),
    **dict.fromkeys(["sheep", "lamb"], "sheep"),
    "bear": "bear",
    "duck": "duck",
    "frog": "frog",
    "fish": "fish",
    "butterfly": "butterfly",
    # vehicles and things
    **dict.fromkeys(["car", "taxi", "jeep"], "car"),
    "bus": "bus",
    **dict.fromkeys(["truck", "lorry", "van"], "truck"),
    **dict.fromkeys(["bicycle", "bike"], "bicycle"),
    **dict.fromkeys(["boat", "ship", "sailboat", "canoe", "yacht", "ferry"], "boat"),
    "train": "train",
    **dict.fromkeys(["airplane", "plane", "aeroplane", "jet"], "airplane"),
    "ball": "ball",
    "kite": "kite",
    "balloon": "balloon",
    "umbrella": "umbrella",
    "table": "table",
    **dict.fromkeys(["chair", "stool"], "chair"),
    "bench": "bench",
    **dict.fromkeys(["sofa", "couch"], "sofa"),
    "bed": "bed",
    "lamp": "lamp",
    **dict.fromkeys(["box", "crate", "chest", "suitcase", "basket"], "box"),
    **dict.fromkeys(["cup", "mug", "glass"], "cup"),
    "book": "book",
    **dict.fromkeys(["flower", "rose", "tulip", "sunflower"], "flower"),
    **dict.fromkeys(["rock", "stone", "boulder"], "rock"),
    "tree": "tree",
    **dict.fromkeys(["house", "cottage", "cabin", "hut", "barn"], "house"),
    "castle": "castle",
    **dict.fromkeys(["tower", "lighthouse"], "tower"),
    "mountain": "mountain",
    "sun": "sun",
    "moon": "moon",
    "star": "star",
    "cloud": "cloud",
}

# Words that can stand before a noun as part of its name ("hot air balloon", "teddy bear").
NOUN_MODIFIERS = frozenset(["hot", "air", "teddy", "police", "paper", "sports", "toy", "stuffed", "rubber", "beach", "fire", "race"])

IRREGULAR_PLURALS = {
    "people": "person", "men": "man", "women": "woman", "children": "child", "kids": "kid", "mice": "mouse",
    "geese": "goose", "sheep": "sheep", "fish": "fish", "puppies": "puppy", "bunnies": "bunny",
    "butterflies": "butterfly", "ponies": "pony", "babies": "baby", "ladies": "lady", "kitties": "kitty",
    "foxes": "fox", "boxes": "box", "buses": "bus", "benches": "bench", "wolves": "wolf",
}

FEMALE_WORDS = frozenset(
    ["woman", "lady", "queen", "princess", "witch", "mother", "mom", "grandmother", "grandma", "sister",
     "girl", "daughter", "waitress", "policewoman", "mare"]
)
MALE_WORDS = frozenset(
    ["man", "gentleman", "king", "prince", "wizard", "father", "dad", "grandfather", "grandpa", "brother",
     "boy", "son", "policeman", "fisherman", "bull", "stallion"]
)

COLORS = frozenset(
    ["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "gray", "grey",
     "golden", "gold", "silver"]
)
SIZES = {"tiny": "tiny", "small": "small", "little": "small", "big": "large", "large": "large", "huge": "huge", "giant": "huge"}
OTHER_ADJECTIVES = frozenset(
    ["old", "young", "fluffy", "shiny", "tall", "short", "happy", "sad", "sleepy", "curious", "brave", "lonely",
     "wooden", "striped", "spotted", "friendly", "angry", "wise", "clever", "lost", "hungry", "playful", "cute",
     "beautiful", "strange", "mysterious", "bright", "dark", "colorful", "colourful", "paper", "toy", "stray"]
)
NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "a": 1, "an": 1, "another": 1, "single": 1, "pair": 2, "couple": 2,
}
DEFINITE = frozenset(["the", "this", "that", "these", "those", "his", "her", "its", "their", "my", "our", "your"])
INDEFINITE = frozenset(["a", "an", "another", "one", "some", "single"])

# Words a capitalised token at the start of a sentence usually is, rather than a name.
NOT_NAMES = frozenset(
    """a an the this that these those then when while after before as at in on of to from by with into onto
    suddenly later meanwhile finally first next soon now there here everyone everybody someone somebody nobody
    nothing something everything outside inside together slowly quickly once one two three four five six seven
    eight nine ten he she it they we you i his her its their our my your him them us me however still also
    yet so but and or if because although though even only just all both each every some many few no not
    scene int ext est day night morning evening afternoon dawn dusk noon midnight today tomorrow yesterday
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december cut fade dissolve title author what where why how who which
    yes oh hello hi goodbye bye please thanks thank look watch listen come go wait stop let god mr mrs ms dr""".split()
)

MOTION_VERBS = frozenset(
    """move moves moving moved walk walks walking walked run runs running ran fly flies flying flew drive drives
    driving drove roll rolls rolling rolled swim swims swimming swam hop hops hopping hopped jump jumps jumping
    jumped crawl crawls crawling crawled float floats floating floated drift drifts drifting drifted sail sails
    sailing sailed ride rides riding rode go goes going went travel travels traveling travelled dash dashes
    dashing dashed race races racing raced wander wanders wandering wandered stroll strolls strolling strolled
    glide glides gliding glided bounce bounces bouncing bounced slide slides sliding slid trot trots trotting
    trotted gallop gallops galloping galloped head heads heading headed hurry hurries hurrying hurried zoom
    zooms zooming zoomed climb climbs climbing climbed skip skips skipping skipped march marches marching
    marched scurry scurries scurrying scurried drop drops dropping dropped fall falls falling fell""".split()
)
ENTER_WORDS = frozenset(["enters", "enter", "entering", "entered", "arrives", "arrive", "arriving", "arrived", "appears", "appear", "emerges", "emerge"])
ENTER_PHRASES = [("comes", "in"), ("come", "in"), ("walks", "in"), ("runs", "in"), ("flies", "in"), ("drives", "in"), ("rolls", "in"), ("steps", "in"), ("swims", "in"), ("hops", "in")]
EXIT_WORDS = frozenset(["leaves", "leave", "leaving", "exits", "exit", "exiting", "exited", "departs", "depart", "vanishes", "disappears"])
EXIT_PHRASES = [
    ("runs", "off"), ("walks", "off"), ("flies", "off"), ("drives", "off"), ("flies", "away"), ("runs", "away"),
    ("walks", "away"), ("drives", "away"), ("goes", "out"), ("rolls", "away"), ("sails", "away"), ("swims", "away"),
    ("hops", "away"), ("floats", "away"), ("drifts", "away"),
]

# Spatial phrases -> predicate; longest first when matched.
SPATIAL_PHRASES: list[tuple[tuple[str, ...], str]] = sorted(
    [
        (("to", "the", "left", "of"), "left_of"),
        (("on", "the", "left", "of"), "left_of"),
        (("left", "of"), "left_of"),
        (("to", "the", "right", "of"), "right_of"),
        (("on", "the", "right", "of"), "right_of"),
        (("right", "of"), "right_of"),
        (("on", "top", "of"), "on"),
        (("on",), "on"),
        (("onto",), "on"),
        (("upon",), "on"),
        (("above",), "above"),
        (("over",), "above"),
        (("high", "above"), "above"),
        (("below",), "below"),
        (("beneath",), "under"),
        (("under",), "under"),
        (("underneath",), "under"),
        (("beside",), "beside"),
        (("next", "to"), "beside"),
        (("alongside",), "beside"),
        (("near",), "near"),
        (("close", "to"), "near"),
        (("in", "front", "of"), "in_front_of"),
        (("behind",), "behind"),
    ],
    key=lambda item: -len(item[0]),
)

# Action phrases (verb forms) -> predicate. Actions become timed scene-graph edges.
ACTION_PHRASES: list[tuple[tuple[str, ...], str]] = sorted(
    [
        *[((w,), "chase") for w in ("chases", "chase", "chasing", "chased")],
        *[((w,), "follow") for w in ("follows", "follow", "following", "followed")],
        *[((w,), "hold") for w in ("holds", "hold", "holding", "held")],
        *[((w,), "carry") for w in ("carries", "carry", "carrying", "carried")],
        *[((w,), "watch") for w in ("watches", "watch", "watching", "watched")],
        *[((w, "at"), "look_at") for w in ("looks", "look", "looking", "looked", "stares", "staring", "stared", "smiles", "smiled", "barks", "barked")],
        *[((w,), "hug") for w in ("hugs", "hug", "hugging", "hugged")],
        *[((w,), "feed") for w in ("feeds", "feed", "feeding", "fed")],
        *[((w,), "pet") for w in ("pets", "petting", "petted", "strokes", "stroked")],
        *[((w,), "catch") for w in ("catches", "catch", "catching", "caught")],
        *[((w,), "throw") for w in ("throws", "throw", "throwing", "threw")],
        *[((w,), "greet") for w in ("greets", "greet", "greeting", "greeted")],
        *[((w, "to"), "talk_to") for w in ("talks", "talk", "talking", "talked", "speaks", "spoke", "speaking")],
        *[((w, "at"), "wave_at") for w in ("waves", "wave", "waving", "waved")],
        *[((w, "to"), "wave_at") for w in ("waves", "waved")],
        *[((w,), "kick") for w in ("kicks", "kick", "kicking", "kicked")],
        *[((w,), "push") for w in ("pushes", "push", "pushing", "pushed")],
        *[((w,), "pull") for w in ("pulls", "pull", "pulling", "pulled")],
        *[((w,), "ride") for w in ("rides", "ride", "riding", "rode")],
        *[((w,), "find") for w in ("finds", "find", "finding", "found")],
        *[((w,), "meet") for w in ("meets", "meet", "meeting", "met")],
        *[((w,), "fly") for w in ("flies", "fly", "flying", "flew")],  # "the girl flies her kite"
    ],
    key=lambda item: -len(item[0]),
)
# Actions that also put the subject on the object.
ACTION_IMPLIES = {"ride": "on"}

# Places in the frame. Matched after "the" is skipped; longest first.
REGION_PHRASES: list[tuple[tuple[str, ...], str]] = sorted(
    [
        (("top", "left"), "upper_left"),
        (("upper", "left"), "upper_left"),
        (("top", "right"), "upper_right"),
        (("upper", "right"), "upper_right"),
        (("bottom", "left"), "lower_left"),
        (("lower", "left"), "lower_left"),
        (("bottom", "right"), "lower_right"),
        (("lower", "right"), "lower_right"),
        (("left",), "left"),
        (("right",), "right"),
        (("top",), "top"),
        (("upper",), "top"),
        (("bottom",), "bottom"),
        (("lower",), "bottom"),
        (("center",), "center"),
        (("centre",), "center"),
        (("middle",), "center"),
    ],
    key=lambda item: -len(item[0]),
)
REGION_FILLERS = frozenset(["side", "edge", "corner", "part", "half", "of", "the", "screen", "scene", "frame", "picture", "sky", "room", "field", "hand"])

# Settings: keyword -> the background phrase the renderers know.
SETTINGS: list[tuple[tuple[str, ...], str]] = [
    (("city", "street", "downtown", "skyline", "town"), "city"),
    (("snow", "snowy", "winter", "ice", "icy", "arctic", "snowfield"), "snow"),
    (("sea", "ocean", "beach", "shore", "harbor", "harbour", "lake", "river", "waves", "coast", "pier", "dock"), "sea"),
    (("desert", "dune", "dunes", "sand", "sandy"), "desert"),
    (("forest", "woods", "jungle", "woodland"), "forest"),
    (("room", "kitchen", "bedroom", "living", "office", "cafe", "café", "shop", "classroom", "library", "hall",
      "house", "home", "apartment", "inside", "indoors", "attic", "basement", "restaurant", "bakery", "studio"), "room"),
    (("sky", "clouds", "air", "above"), "sky"),
    (("grass", "park", "garden", "meadow", "field", "farm", "hill", "hills", "yard", "lawn", "countryside", "valley"), "grass"),
]
TIMES_OF_DAY = {
    "night": "night", "midnight": "night", "nighttime": "night", "dark": "night", "evening": "evening",
    "dusk": "evening", "sunset": "sunset", "dawn": "dawn", "sunrise": "dawn", "morning": "morning", "day": "day",
    "noon": "day", "afternoon": "day",
}


def singular(word: str) -> str | None:
    """The singular if `word` is a plural noun the default lexicon knows, else None."""
    return DEFAULT.singular(word)


def singular_in(word: str, known: Container[str]) -> str | None:
    """The singular of `word` if it is an irregular plural, or a regular one whose singular `known` holds."""
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    for suffix, replacement in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and word[: -len(suffix)] + replacement in known:
            return word[: -len(suffix)] + replacement
    return None


# -- screenplay conventions --------------------------------------------------------------------
# What no parser knows: the words a screenplay shouts in CAPS that are never cast members.

# Camera directions, shot sizes and transitions ("CLOSE ON", "ANGLE ON", "WE PUSH IN", "SLOW MOTION").
SCREEN_DIRECTIONS = frozenset(
    """angle close closeup close-up cu ecu insert pov wide shot shots pan pans panning tilt tilts zoom zooms
    dolly track tracking truck push pushes pull crane aerial overhead establishing slow motion super title
    titles caption intercut montage flashback flash series back scene continuous later moments cut cuts fade
    fades dissolve dissolves smash match reverse ots two-shot master freeze frame split screen end credits
    black white on off we see hear v.o. o.s. o.c. vo os oc cont'd cont d mos sfx fx vfx b.g. bg f.g. fg""".split()
)
# Words before a cue name that mark the same person at another age ("YOUNG SAM", "OLD SAM").
AGE_PREFIXES = frozenset(["young", "younger", "old", "older", "elderly", "little", "adult", "teen", "teenage", "baby", "grown"])
# Cue extensions: heard, not seen.
OFF_SCREEN_EXTENSIONS = frozenset(["v.o.", "vo", "v/o", "o.s.", "os", "o.c.", "oc", "off", "off screen", "off-screen", "voice over", "voice-over", "phone", "on phone", "filtered", "radio", "intercom", "tv", "on tv", "pre-lap", "prelap"])
# Lemmas of verbs of moving (the parser gives the lemma: "scuttles" -> "scuttle").
MOTION_LEMMAS = frozenset(
    """move walk run fly drive roll swim hop jump crawl float drift sail ride go travel dash race wander stroll
    glide bounce slide trot gallop head hurry zoom climb skip march scurry hike shuffle scuttle stride sprint
    jog limp stagger tiptoe sneak creep saunter amble pace step cross descend ascend rush charge flee approach
    retreat dart leap dive tumble rise barrel storm trudge wade paddle skate ski cycle pedal speed cruise come
    swoop soar lope waddle slither prowl fall topple tumble plunge plummet drop burst bail scramble scamper
    bolt hurtle careen lunge""".split()
)
# Lemmas of verbs of falling: the mover goes down the frame ("falls face-forward", "topples over the railing").
FALL_LEMMAS = frozenset(["fall", "topple", "tumble", "plunge", "plummet", "drop", "sink", "collapse", "crash", "slump"])
# Lemmas of verbs of coming down: one not yet in the scene who does this comes in from the top.
DESCENT_LEMMAS = frozenset(["descend", "swoop", "parachute", "plummet"])
# Lemmas of verbs that move their object, not their subject ("tosses it on to the bridge"); passive, the
# subject is moved ("is SLAMMED against the wall"). "take" only with a direction ("takes it past a hook").
CAUSED_MOTION_LEMMAS = frozenset(["toss", "throw", "hurl", "fling", "lob", "kick", "push", "shove", "slam", "knock", "drag", "launch", "roll", "bounce", "slide", "drop", "take"])
# Things one goes into out of sight of a camera outside them ("enters a building", "goes inside the light").
ENCLOSURE_NOUNS = frozenset(
    """building house home store shop office room bar restaurant cafe church hotel station bank hospital school
    apartment elevator lift tunnel cave barn shed garage hall lobby tent cabin cottage hut castle tower
    warehouse factory theater theatre cinema club mall library museum""".split()
)
# Openings a mover goes through out of the frame ("barrels through the door"), unless the verb is one of coming.
OPENING_NOUNS = frozenset(["door", "doors", "doorway", "window", "gate", "exit", "archway", "hatch", "portal"])
# What "into" / "out of" a view means: "drop into view", "out of sight".
VIEW_NOUNS = frozenset(["view", "sight", "frame", "shot", "picture", "focus"])
# Words that stop a vehicle in the frame: "easing to a stop", "comes to a halt".
STOP_NOUNS = frozenset(["stop", "halt", "standstill"])
# Adverbs before an inverted motion verb: "in walks Scott", "out steps the guard".
INVERSION_ADVERBS = frozenset(["in", "out", "up", "down", "off", "away", "through", "inside", "over", "along", "around", "forward", "here", "there"])
# Lemmas of verbs a vehicle does with its people in it ("They speed off" after they get into the car).
VEHICLE_LEMMAS = frozenset(["drive", "speed", "cruise", "pull", "roar", "screech", "peel", "zoom", "race", "sail", "fly", "steer"])
VEHICLE_CATEGORIES = frozenset(["car", "bus", "truck", "boat", "train", "airplane"])
# Categories that go along with whom they are with ("her dog in tow", "walks with his dog").
COMPANION_CATEGORIES = frozenset(
    ["person", "child", "robot", "cat", "dog", "bird", "owl", "fox", "rabbit", "horse", "cow", "sheep", "bear", "duck", "frog"]
)
# Lemmas of verbs of coming: through a door they come in, not out.
COME_LEMMAS = frozenset(["come", "arrive", "enter", "return"])
# Lemmas of verbs of coming into view and of leaving it ("Bob materializes", "the chopper exits").
ENTER_LEMMAS = frozenset(["enter", "arrive", "appear", "emerge", "materialize", "materialise"])
EXIT_LEMMAS = frozenset(["leave", "exit", "depart", "vanish", "disappear"])
# Objects that make a verb one of moving: "makes his way to", "takes three steps", "takes the trail".
MOTION_OBJECTS = frozenset(["way", "step", "stride", "trail", "path", "route"])
# Particles after a verb of moving: "scuttles off", "walks away" leave; "comes in" enters.
EXIT_PARTICLES = frozenset(["off", "away", "out", "offscreen", "off-screen"])
ENTER_PARTICLES = frozenset(["in", "inside", "onscreen", "on-screen"])
# Courtesy titles that begin a name: "Mr. Hoff", "DR. BENNETT".
HONORIFICS = frozenset(["mr", "mrs", "ms", "miss", "dr", "mr.", "mrs.", "ms.", "dr.", "sir", "lady", "lord", "professor", "prof", "captain", "capt", "officer", "sergeant", "sgt", "detective", "father", "sister", "uncle", "aunt", "grandma", "grandpa", "coach", "judge", "agent"])
# Nouns for a group of people or animals taken as one ("the band", "the crowd"), which no parser tells
# from other nouns: they mean their members once the script names them.
COLLECTIVE_NOUNS = frozenset(
    """band crowd team family couple pair twins trio quartet group gang crew mob tribe troupe squad posse
    duo congregation audience choir orchestra army platoon pack herd flock litter""".split()
)
# The noun behind an abbreviated title ("Dr. Bennett" is "the doctor"); mr/mrs/ms say a gender instead.
TITLE_NOUNS = {"dr": "doctor", "prof": "professor", "capt": "captain", "sgt": "sergeant", "mr": "man", "mrs": "woman", "ms": "woman", "miss": "woman"}
TITLE_ABBREVIATIONS = script.TITLE_ABBREVIATIONS  # "Mr." ... also keep a sentence going (director.script)
MALE_TITLES = frozenset(["mr", "sir", "lord"])
FEMALE_TITLES = frozenset(["mrs", "ms", "miss", "lady"])
# What people are called by what they do, for a shouted role with an article ("The MAILMAN", "the DRIVER"),
# besides the people nouns above, the people WordNet knows (planners/kinds.py) and words ending in -man,
# -woman, -ist, -ess: the roles whose first WordNet sense is something else (an agent is first a cause).
ROLE_NOUNS = frozenset(["agent", "brute", "principal"])
ROLE_ENDINGS = ("man", "woman", "men", "women", "ist", "ess")

# Words saying someone is not in the picture ('His minion approaches offscreen').
OFF_SCREEN_WORDS = frozenset(["offscreen", "off-screen", "o.s.", "unseen"])
ORDINALS = {
    w: k + 1
    for k, w in enumerate(["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth"])
}
# Modifiers saying a person named is not there ('covers for her absent husband'); 'late' only after a possessive.
ABSENT_MODIFIERS = frozenset(["absent"])
# Determiners of a noun phrase that stands for no one in particular ('bigger than any man', 'no dog barks').
NO_ONE_DETERMINERS = frozenset(["any", "no"])
# Things a voice comes out of: a speaker the action of such a scene never shows is on the other end.
VOICE_DEVICES = frozenset(["phone", "telephone", "cellphone", "speakerphone", "tv", "television", "radio", "intercom", "walkie-talkie", "loudspeaker"])
# Verbs whose object is heard, not seen ('we hear a POP').
PERCEPTION_VERBS = frozenset(["hear", "listen"])
# Verbs of a state rather than an event: a sentence with no other verb only describes, and takes no time.
STATIVE_VERBS = frozenset(
    """be have sit stand lie sleep rest wait remain stay seem hang lean perch sprawl slump contain wear""".split()
)
# Colour words a writer uses that the renderers know under another name.
COLOR_SYNONYMS = {"grey": "gray", "ginger": "orange", "blonde": "yellow", "blond": "yellow", "crimson": "red", "scarlet": "red", "navy": "blue", "tan": "brown", "auburn": "brown"}


@dataclass(frozen=True)
class Lexicon:
    """The word lists one reading uses, passed in and never changed: `with_nouns` makes a new one."""

    nouns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType(dict(NOUNS)))
    looked_up: frozenset[str] = frozenset()
    """Nouns known from a dictionary (WordNet) rather than listed or taught: a word the parser must also
    read as a noun, with a determiner, where a cast member stands ('stops to guard', 'a modern bridge')."""

    def with_nouns(self, extra: Mapping[str, str], looked_up: bool = False) -> Lexicon:
        """A lexicon that also knows `extra` (noun -> category): things a model found that this one lacks,
        or (`looked_up`) kinds a dictionary gives."""
        added = {noun: category for noun, category in extra.items() if noun not in self.nouns}
        if not added:
            return self
        weak = self.looked_up | frozenset(added) if looked_up else self.looked_up
        return Lexicon(nouns=MappingProxyType({**self.nouns, **added}), looked_up=weak)

    def listed(self, word: str) -> bool:
        """Is `word` a noun this lexicon lists or was taught, not one only looked up? A looked-up noun may
        still be a name ('TOM', 'Colossus')."""
        return word in self.nouns and word not in self.looked_up

    def singular(self, word: str) -> str | None:
        """The singular if `word` is a known plural noun, else None."""
        return singular_in(word, self.nouns)

    def head_noun(self, word: str) -> tuple[str, bool] | None:
        """(singular noun, is plural) for a noun this lexicon knows, else None."""
        if word in self.nouns:
            return word, False
        single = self.singular(word)
        return (single, True) if single is not None else None


DEFAULT = Lexicon()
