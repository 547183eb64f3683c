"""Font registration (DejaVu, CJK and Symbola fallbacks), bidi and shaping, and per-glyph markup."""

from __future__ import annotations

import functools
import importlib.util
import re
import threading
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
SANS_ITALIC = "DejaVuSans-Oblique"
SANS_BOLD_ITALIC = "DejaVuSans-BoldOblique"
MONO = "DejaVuSansMono"
FALLBACK = "CJKFallback"
CID_FALLBACK = "STSong-Light"
SYMBOLS = "SymbolFallback"
REPLACEMENT = "\ufffd"  # drawn (from DejaVu) for a character no font has, instead of glyph 0

# Debian paths first; TTC files hold several faces and we take the first.
CJK_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
# Outline emoji and symbols (Debian's fonts-symbola), tried after DejaVu and the CJK font.
SYMBOL_CANDIDATES = (
    "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",
    "/usr/share/fonts/truetype/ancient-scripts/Symbola.ttf",
    "/usr/share/fonts/truetype/symbola/Symbola.ttf",
)
SYSTEM_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")

_lock = threading.RLock()
_sans: TTFont | None = None
_mono: TTFont | None = None
_fallback_name: str | None = None
_fallback_cmap: frozenset[int] | dict[int, int] | None = None  # None with the CID font: assume it covers
_body_fonts: set[str] = set()  # custom body fonts registered so far
_symbols_cmap: dict[int, int] | None = None  # Symbola's cmap once registered ({} when it is not installed)
_reshaper: Any = None  # arabic_reshaper.ArabicReshaper, built on first right-to-left text

# Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic and their presentation forms; RTL marks.
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\u200f\u202b\u202e\u2067"
                  "\U00010800-\U00010fff\U0001e800-\U0001efff]")

# C0/C1 controls (bar tab/newline) and lone surrogates break the paragraph parser or the PDF.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _to_unicode_cmap(fontname: str, subset: Sequence[int],
                     _make: Callable[[str, Sequence[int]], str] = ttfonts.makeToUnicodeCMap) -> str:
    """ReportLab's ToUnicode CMap, fixed for wide characters and the Arabic shaping done here.

    ReportLab writes a character beyond U+FFFF as bare hex (`<1F600>`), which readers reject, so emoji
    extract as NUL; the PDF format wants UTF-16BE (`<D83DDE00>`). And the glyphs of shaped Arabic are
    presentation forms (U+FB50-U+FEFF): they map back to the letters they show (their NFKC form), so
    copied or extracted text holds ordinary Arabic letters. Every other entry is left byte for byte.
    """
    text = _make(fontname, subset)
    if not any(v > 0xFFFF or _presentation(v) for v in subset):
        return text

    def entry(m: re.Match[str]) -> str:
        ch = chr(int(m[2], 16))
        if _presentation(ord(ch)):
            ch = unicodedata.normalize("NFKC", ch)
        return f"{m[1]} <{ch.encode('utf-16-be').hex().upper()}>"

    return _ENTRY.sub(entry, text)


def _presentation(code: int) -> bool:
    return 0xFB1D <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFC


_ENTRY = re.compile(r"^(<[0-9A-F]{2}>) <([0-9A-F]{4,6})>$", re.MULTILINE)
ttfonts.makeToUnicodeCMap = _to_unicode_cmap


def dejavu_dir() -> Path:
    """Folder holding the DejaVu TTFs: matplotlib's bundled copy, else Debian's fonts-dejavu."""
    spec = importlib.util.find_spec("matplotlib")  # locates without importing (slow)
    for base in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(base) / "mpl-data" / "fonts" / "ttf"
        if (folder / "DejaVuSans.ttf").is_file():
            return folder
    if (SYSTEM_DEJAVU / "DejaVuSans.ttf").is_file():
        return SYSTEM_DEJAVU
    raise FileNotFoundError("DejaVu Sans not found: install matplotlib or fonts-dejavu-core")


def _register_family(family: str, stem: str, oblique: str) -> TTFont:
    folder = dejavu_dir()
    names = (family, f"{family}-Bold", f"{family}-{oblique}", f"{family}-Bold{oblique}")
    files = (stem, f"{stem}-Bold", f"{stem}-{oblique}", f"{stem}-Bold{oblique}")
    fonts = []
    for name, file in zip(names, files, strict=True):
        font = TTFont(name, str(folder / f"{file}.ttf"))
        pdfmetrics.registerFont(font)
        fonts.append(font)
    pdfmetrics.registerFontFamily(family, normal=names[0], bold=names[1], italic=names[2], boldItalic=names[3])
    return fonts[0]


def ensure_fonts() -> None:
    """Register the DejaVu Sans family once per process."""
    global _sans
    with _lock:
        if _sans is None:
            _sans = _register_family(SANS, "DejaVuSans", "Oblique")


def ensure_mono() -> str:
    """Register DejaVu Sans Mono once (lazily: only code needs it); return its name."""
    global _mono
    with _lock:
        if _mono is None:
            _mono = _register_family(MONO, "DejaVuSansMono", "Oblique")
    return MONO


def body_font(path: Path | None) -> str:
    """The ReportLab name of the body font: DejaVu Sans, or a TrueType file registered once under its own name.

    Bold and italic faces are taken from files beside it named STEM-Bold, STEM-Italic (or -Oblique) and
    STEM-BoldItalic (a `-Regular` suffix on the file itself is dropped); a face without its file uses the
    regular one.
    """
    if path is None:
        return SANS
    path = Path(path).resolve()
    try:
        digest = zlib.crc32(path.read_bytes())  # a name from the content: same file, same PDF bytes
    except OSError as exc:
        raise ValueError(f"body font {path.name} cannot be read: {exc.strerror or exc}") from None
    family = f"Body-{re.sub(r'[^A-Za-z0-9]+', '', path.stem)[:24]}-{digest:08x}"
    with _lock:
        if family in _body_fonts:
            return family
        stem = path.stem.removesuffix("-Regular")
        faces = {"normal": path}
        for face, suffixes in (("bold", ("-Bold",)), ("italic", ("-Italic", "-Oblique")),
                               ("boldItalic", ("-BoldItalic", "-BoldOblique"))):
            found = [path.with_name(stem + s + path.suffix) for s in suffixes]
            faces[face] = next((f for f in found if f.is_file()), path)
        names = {}
        for face, file in faces.items():
            name = family if face == "normal" else f"{family}-{face}"
            try:
                pdfmetrics.registerFont(TTFont(name, str(file)))
            except Exception as exc:  # TTFError and friends: say which file, as a ValueError
                raise ValueError(f"body font {file.name} is not a usable TrueType font: {exc}") from None
            names[face] = name
        pdfmetrics.registerFontFamily(family, **names)
        _body_fonts.add(family)
    return family


def find_cjk_font() -> Path | None:
    """First installed TrueType CJK font, or None."""
    return next((Path(p) for p in CJK_CANDIDATES if Path(p).is_file()), None)


def ensure_fallback() -> str:
    """Register the CJK fallback font once (lazily) and return its ReportLab name."""
    global _fallback_name, _fallback_cmap
    with _lock:
        if _fallback_name is None:
            path = find_cjk_font()
            font = None
            if path is not None:
                try:
                    font = TTFont(FALLBACK, str(path), subfontIndex=0)
                except Exception:  # a broken or CFF-flavoured file: use the CID font instead
                    font = None
            if font is not None:
                pdfmetrics.registerFont(font)
                _fallback_cmap = font.face.charToGlyph
                name = FALLBACK
            else:
                from reportlab.pdfbase.cidfonts import UnicodeCIDFont

                pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
                _fallback_cmap = None
                name = CID_FALLBACK
            # No bold/italic CJK faces: map every style to the one face so <b> keeps working.
            pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
            _fallback_name = name
    return _fallback_name


def fallback_embedded() -> bool:
    """Whether the CJK fallback is an embedded TrueType font (not the CID STSong-Light)."""
    return ensure_fallback() == FALLBACK


def clean(text: str) -> str:
    """Drop control characters and lone surrogates that would corrupt the markup or the PDF."""
    # ReportLab splits words at U+200B and then draws an ordinary space between them: drop it instead.
    return _CONTROL.sub("", text.replace("\t", " ").replace("\u200b", ""))


def escape(text: str) -> str:
    """Escape text for ReportLab's paragraph mini-markup (text is data, never markup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attr(text: str) -> str:
    """Escape a value for a double-quoted markup attribute."""
    return escape(text).replace('"', "&quot;")


def has_rtl(text: str) -> bool:
    """Whether the text holds right-to-left letters (the cheap test that keeps the bidi packages unloaded)."""
    return _RTL.search(text) is not None


def base_direction(text: str) -> str | None:
    """'R' or 'L' from the first strong letter (rule P2 of the bidi algorithm), None if there is none."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return "L"
        if kind in ("R", "AL"):
            return "R"
    return None


def visual(text: str, base: str | None = None) -> str:
    """Right-to-left runs shaped (Arabic presentation forms) and put in visual, left-to-right drawing order.

    ReportLab draws characters in the order given and has no shaping, so Arabic and Hebrew are reordered
    here, on plain text before markup escaping. `base` is the paragraph direction ('L' or 'R'; None: from
    the text). Text without right-to-left letters comes back unchanged, without importing anything.
    """
    if not has_rtl(text):
        return text
    from bidi import get_display

    shown: str = get_display(_arabic_reshaper().reshape(text), base_dir=base)
    return shown


def _arabic_reshaper() -> Any:
    global _reshaper
    with _lock:
        if _reshaper is None:
            import arabic_reshaper
            from arabic_reshaper.ligatures import LETTERS_LIGATURES, WORDS_LIGATURES

            ensure_fonts()
            assert _sans is not None  # ensure_fonts registered it
            cmap = _sans.face.charToGlyph
            # Keep the harakat (moved so they follow their letter once reversed); enable only the
            # ligatures DejaVu Sans can draw (lam-alef), as arabic_reshaper's own font probe does.
            config = {"delete_harakat": False, "shift_harakat_position": True}
            for name, (_, forms) in (*LETTERS_LIGATURES, *WORDS_LIGATURES):
                config[name] = all(ord(f) in cmap for f in forms if f)
            _reshaper = arabic_reshaper.ArabicReshaper(configuration=config)
    return _reshaper


def markup(text: str, *, mono: bool = False, base: str | None = None) -> str:
    """Escaped paragraph markup for plain text, in visual order, each glyph in the first font that has it.

    DejaVu Sans (or Mono), then the CJK font, then Symbola (emoji, symbols); a character none of them
    has is drawn as U+FFFD rather than as an empty box that extracts as NUL.
    """
    ensure_fonts()
    assert _sans is not None  # ensure_fonts registered it
    text = visual(clean(text), base)
    if not text:
        return ""
    cmap = (_mono if mono and _mono is not None else _sans).face.charToGlyph
    if all(ord(ch) in cmap or ch in " \n" for ch in text):
        return escape(text)  # the common case: one run, no scanning into segments
    out: list[str] = []
    run: list[str] = []
    run_font = ""
    for ch in text:
        code = ord(ch)
        font = "" if code in cmap or ch in " \n" else _fallback_font(code)
        if font is None:  # no font has it
            ch, font = (REPLACEMENT if ord(REPLACEMENT) in cmap else "?"), ""
        if font != run_font and run:
            out.append(_wrap("".join(run), run_font))
            run = []
        run_font = font
        run.append(ch)
    if run:
        out.append(_wrap("".join(run), run_font))
    return "".join(out)


def fit(text: str, font: str, size: float, width: float) -> str:
    """`text` cut (with an ellipsis) to fit `width` on one line, in one pass over the characters it keeps.

    Each distinct character is measured once, in the font that will draw it (DejaVu's characters in
    `font`, others in their fallback, 1 em if no font has them): the cost is linear in what fits, however
    long the text (a cut-and-remeasure loop was quadratic: minutes for a 2,000-character title).
    """
    text = clean(text)
    w = _measure(font, size)
    room = width - w("\u2026")  # what the text may take when it is cut
    total = 0.0
    cut = None
    for i, ch in enumerate(text):
        total += w(ch)
        if cut is None and total > room:
            cut = i
        if total > width:
            break
    else:
        return text  # it fits whole
    text = text[:cut]
    if " " in text.strip():  # prefer to cut at a word boundary
        text = text.rstrip().rsplit(" ", 1)[0]
    return text.rstrip(" ,;:-\u2013") + "\u2026"


def text_width(text: str, font: str, size: float) -> float:
    """The width of one line of plain text as `markup` will draw it (fallback glyphs in their own font)."""
    w = _measure(font, size)
    return sum(w(ch) for ch in clean(text))


def _measure(font: str, size: float) -> Callable[[str], float]:
    """A per-character width function, measuring each distinct character once."""
    ensure_fonts()
    assert _sans is not None  # ensure_fonts registered it
    cmap = _sans.face.charToGlyph
    face = pdfmetrics.getFont(font)
    widths: dict[str, float] = {}

    def w(ch: str) -> float:
        if ch not in widths:
            code = ord(ch)
            other = None if code in cmap or ch == " " else _fallback_font(code)
            if other:
                widths[ch] = pdfmetrics.getFont(other).stringWidth(ch, size)
            else:  # DejaVu has it (drawn in `font`), or no font has it (drawn as U+FFFD: about 1 em)
                widths[ch] = face.stringWidth(ch, size) if code in cmap or ch == " " else size
        return widths[ch]

    return w


def find_symbol_font() -> Path | None:
    """Symbola, the emoji and symbol fallback, if installed."""
    return next((Path(p) for p in SYMBOL_CANDIDATES if Path(p).is_file()), None)


def ensure_symbols() -> dict[int, int]:
    """Register Symbola once (lazily) and return its cmap ({} when it is not installed)."""
    global _symbols_cmap
    with _lock:
        if _symbols_cmap is None:
            path = find_symbol_font()
            try:
                font = TTFont(SYMBOLS, str(path)) if path else None
            except Exception:  # an unreadable file: no symbol fallback
                font = None
            if font is not None:
                pdfmetrics.registerFont(font)
                pdfmetrics.registerFontFamily(SYMBOLS, normal=SYMBOLS, bold=SYMBOLS, italic=SYMBOLS,
                                              boldItalic=SYMBOLS)
            _symbols_cmap = font.face.charToGlyph if font is not None else {}
    return _symbols_cmap


def _fallback_font(code: int) -> str | None:
    """The fallback font for a character the body font lacks: CJK, then Symbola; None if neither has it."""
    return _pick_fallback(code, ensure_fallback(), id(ensure_symbols()))


@functools.lru_cache(maxsize=8192)
def _pick_fallback(code: int, fallback: str, _symbols: int) -> str | None:
    # Cached per character; the fonts in play are part of the key, so re-registering them (tests) is safe.
    if _fallback_has(code):
        return fallback
    if code in ensure_symbols():
        return SYMBOLS
    return None


def _fallback_has(code: int) -> bool:
    ensure_fallback()
    # The CID font's coverage is not inspectable; trust it for the CJK blocks only.
    if _fallback_cmap is None:
        return 0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFFEF
    return code in _fallback_cmap


def _wrap(text: str, font: str) -> str:
    return f'<font name="{font}">{escape(text)}</font>' if font else escape(text)
