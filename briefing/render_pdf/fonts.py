"""Font registration (DejaVu from matplotlib's data, a CJK fallback) and per-glyph markup."""

from __future__ import annotations

import importlib.util
import re
import threading
import zlib
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
SANS_ITALIC = "DejaVuSans-Oblique"
SANS_BOLD_ITALIC = "DejaVuSans-BoldOblique"
MONO = "DejaVuSansMono"
FALLBACK = "CJKFallback"
CID_FALLBACK = "STSong-Light"

# Debian paths first; TTC files hold several faces and we take the first.
CJK_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
SYSTEM_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")

_lock = threading.RLock()
_sans: TTFont | None = None
_mono: TTFont | None = None
_fallback_name: str | None = None
_fallback_cmap: frozenset[int] | dict | None = None  # None with the CID font: assume it covers
_body_fonts: set[str] = set()  # custom body fonts registered so far

# C0/C1 controls (bar tab/newline) and lone surrogates break the paragraph parser or the PDF.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


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


def markup(text: str, *, mono: bool = False) -> str:
    """Escaped paragraph markup for plain text, switching to the CJK font where DejaVu lacks a glyph."""
    ensure_fonts()
    text = clean(text)
    if not text:
        return ""
    cmap = (_mono if mono and _mono is not None else _sans).face.charToGlyph
    if all(ord(ch) in cmap or ch in " \n" for ch in text):
        return escape(text)  # the common case: one run, no scanning into segments
    out: list[str] = []
    run: list[str] = []
    run_fallback = False
    for ch in text:
        code = ord(ch)
        use_fallback = code not in cmap and ch not in " \n" and _fallback_has(code)
        if use_fallback != run_fallback and run:
            out.append(_wrap("".join(run), run_fallback))
            run = []
        run_fallback = use_fallback
        run.append(ch)
    if run:
        out.append(_wrap("".join(run), run_fallback))
    return "".join(out)


def fit(text: str, font: str, size: float, width: float) -> str:
    """`text` cut (with an ellipsis) to fit `width` on one line; glyphs DejaVu lacks count as 1 em."""
    ensure_fonts()
    cmap = _sans.face.charToGlyph
    face = pdfmetrics.getFont(font)

    def w(s: str) -> float:
        return sum(face.stringWidth(ch, size) if ord(ch) in cmap else size for ch in s)

    if w(text) <= width:
        return text
    while text and w(text + "\u2026") > width:
        text = text[:-1]
    if " " in text.strip():  # prefer to cut at a word boundary
        text = text.rstrip().rsplit(" ", 1)[0]
    return text.rstrip(" ,;:-\u2013") + "\u2026"


def _fallback_has(code: int) -> bool:
    ensure_fallback()
    # The CID font's coverage is not inspectable; trust it for the CJK blocks only.
    if _fallback_cmap is None:
        return 0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFFEF
    return code in _fallback_cmap


def _wrap(text: str, fallback: bool) -> str:
    # Glyphs missing everywhere (emoji) stay in DejaVu and show as its .notdef box.
    return f'<font name="{_fallback_name}">{escape(text)}</font>' if fallback else escape(text)
