"""The CJK face of the PDFs: Noto Sans CJK SC, Regular and a real Bold, cut down per document.

A one-page scorecard uses a few hundred of the 65,000 glyphs of Noto Sans CJK. WeasyPrint
subsets the font it embeds, but on the full collection file that costs about a tenth of a
second per PDF, more than laying out the page. So each document is given its own font, cut
by HarfBuzz (libharfbuzz-subset, which WeasyPrint's system packages already install) to the
characters of that document's HTML: the cut takes a few hundredths of a second, and writing
each PDF from it is five times faster. The cut fonts stay in memory and reach WeasyPrint
through `url_fetcher`; nothing is written to disk.

Each cut has a family name of its own ("Noto Sans CJK SC <tag>"), because one process keeps
one `FontConfiguration` for all its documents and two faces under one name would mix glyphs.
Where libharfbuzz-subset cannot be loaded, documents use the installed family by name:
slower, same look.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import string
import subprocess
import threading
from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.errors import LobbyStarError

FAMILY = "Noto Sans CJK SC"
SCHEME = "lobbystar-font:"
# Always in the cut: printable ASCII and the punctuation a page may gain from a template
# without it being in the data (thin spaces, dashes, CJK brackets).
BASE_CHARACTERS = (
    {ord(char) for char in string.printable if char.isprintable()}
    | set(range(0x2010, 0x2027))
    | set(range(0x3000, 0x3011))
    | set(range(0xFF01, 0xFF1F))
    | {0x00A0, 0x00B7, 0x00D7, 0x2030, 0x203A, 0x2212, 0x2103, 0x25CF, 0x2713}
)
# Bump to cut every font anew (the tag of a cut depends on it).
CUT_VERSION = 1
_MAX_REGISTERED = 64


class FontError(LobbyStarError):
    """The CJK font is missing; the message says how to install it."""


@dataclass(frozen=True)
class SourceFace:
    path: str
    index: int


@functools.cache
def source_faces() -> dict[int, SourceFace]:
    """The installed Noto Sans CJK SC files, by CSS weight (400 and 700), found by fontconfig."""
    faces = {}
    for weight, pattern in ((400, f"{FAMILY}:weight=80"), (700, f"{FAMILY}:weight=200")):
        try:
            answer = subprocess.run(
                ["fc-match", "-f", "%{file}|%{index}|%{family}|%{style}", pattern],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            answer = ""
        path, _sep, rest = answer.partition("|")
        index, _sep, rest = rest.partition("|")
        family, _sep, style = rest.partition("|")
        if FAMILY not in family or (weight == 700 and "Bold" not in style):
            raise FontError(
                _("找不到字体 %(family)s（常规与粗体）。请以 root 运行：apt-get install fonts-noto-cjk")
                % {"family": FAMILY}
            )
        faces[weight] = SourceFace(path=path, index=int(index or 0))
    return faces


class _HarfBuzz:
    """The few calls of libharfbuzz and libharfbuzz-subset a cut needs, through cffi."""

    DECLARATIONS = """
        typedef struct hb_blob_t hb_blob_t;
        typedef struct hb_face_t hb_face_t;
        typedef struct hb_set_t hb_set_t;
        typedef struct hb_subset_input_t hb_subset_input_t;
        hb_blob_t *hb_blob_create_from_file_or_fail(const char *file_name);
        hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
        hb_blob_t *hb_face_reference_blob(hb_face_t *face);
        const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
        void hb_blob_destroy(hb_blob_t *blob);
        void hb_face_destroy(hb_face_t *face);
        void hb_set_add(hb_set_t *set, uint32_t codepoint);
        hb_subset_input_t *hb_subset_input_create_or_fail(void);
        hb_set_t *hb_subset_input_unicode_set(hb_subset_input_t *input);
        void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned value);
        void hb_subset_input_destroy(hb_subset_input_t *input);
        hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
    """
    NO_HINTING = 0x1
    NO_LAYOUT_CLOSURE = 0x200

    def __init__(self):
        import cffi

        self.ffi = cffi.FFI()
        self.ffi.cdef(self.DECLARATIONS)
        self.core = self.ffi.dlopen("libharfbuzz.so.0")
        self.subset = self.ffi.dlopen("libharfbuzz-subset.so.0")
        self._faces = {}

    def face(self, source: SourceFace):
        if source not in self._faces:
            blob = self.core.hb_blob_create_from_file_or_fail(source.path.encode())
            if blob == self.ffi.NULL:
                raise FontError(f"cannot read {source.path}")
            self._faces[source] = self.core.hb_face_create(blob, source.index)
            self.core.hb_blob_destroy(blob)
        return self._faces[source]

    def cut(self, source: SourceFace, codepoints: list[int]) -> bytes:
        ffi, core, subset = self.ffi, self.core, self.subset
        request = subset.hb_subset_input_create_or_fail()
        try:
            unicodes = subset.hb_subset_input_unicode_set(request)
            for codepoint in codepoints:
                core.hb_set_add(unicodes, codepoint)
            subset.hb_subset_input_set_flags(request, self.NO_HINTING | self.NO_LAYOUT_CLOSURE)
            face = subset.hb_subset_or_fail(self.face(source), request)
        finally:
            subset.hb_subset_input_destroy(request)
        if face == ffi.NULL:
            raise FontError(f"HarfBuzz could not subset {source.path}")
        blob = core.hb_face_reference_blob(face)
        try:
            length = ffi.new("unsigned int *")
            data = core.hb_blob_get_data(blob, length)
            return bytes(ffi.buffer(data, length[0]))
        finally:
            core.hb_blob_destroy(blob)
            core.hb_face_destroy(face)


_lock = threading.Lock()
_harfbuzz: _HarfBuzz | None = None
_harfbuzz_failed = False
_cuts: dict[str, bytes] = {}
_state = {"font_config": None, "registered": 0}
# Let the FontConfiguration go while the interpreter is whole: its __del__ removes a temporary
# folder and fails noisily if it runs during shutdown.
atexit.register(_state.update, font_config=None)


def _harfbuzz_or_none() -> _HarfBuzz | None:
    global _harfbuzz, _harfbuzz_failed
    if _harfbuzz is None and not _harfbuzz_failed:
        try:
            _harfbuzz = _HarfBuzz()
        except (OSError, ImportError, AttributeError):
            _harfbuzz_failed = True
    return _harfbuzz


def _tag(codepoints: list[int]) -> str:
    digest = hashlib.sha256(f"{CUT_VERSION}:{codepoints}".encode()).digest()
    # Letters only: a family name ending in digits would read as a font size.
    return "".join(chr(65 + byte % 26) for byte in digest[:8])


@dataclass(frozen=True)
class DocumentFonts:
    font_config: object  # weasyprint.text.fonts.FontConfiguration
    css: str  # the @font-face rules to put in the document's stylesheet
    family: str  # the CSS font-family value for text and charts


def document_fonts(text: str) -> DocumentFonts:
    """The fonts of a document whose HTML is `text`.

    With HarfBuzz: a cut of Regular and Bold holding exactly the characters of `text` (plus
    `BASE_CHARACTERS`), under a family name of its own, in the process's FontConfiguration.
    Without: the installed family by name.
    """
    from weasyprint.text.fonts import FontConfiguration

    faces = source_faces()
    harfbuzz = _harfbuzz_or_none()
    with _lock:
        # One FontConfiguration per process, renewed now and then so that the faces
        # registered by many documents do not pile up in a long-lived process.
        if _state["font_config"] is None or _state["registered"] >= _MAX_REGISTERED:
            _state["font_config"] = FontConfiguration()
            _state["registered"] = 0
            _cuts.clear()
        font_config = _state["font_config"]
        if harfbuzz is None:
            return DocumentFonts(font_config=font_config, css="", family=f"'{FAMILY}'")
        codepoints = sorted({ord(char) for char in text} | BASE_CHARACTERS)
        tag = _tag(codepoints)
        rules = []
        for weight, source in faces.items():
            key = f"{tag}-{weight}"
            if key not in _cuts:
                _cuts[key] = harfbuzz.cut(source, codepoints)
                _state["registered"] += 1
            rules.append(
                f'@font-face {{ font-family: "{FAMILY} {tag}"; src: url("{SCHEME}{key}"); '
                f"font-weight: {weight}; font-style: normal; }}"
            )
    return DocumentFonts(font_config=font_config, css="\n".join(rules), family=f"'{FAMILY} {tag}'")


def url_fetcher(url: str, *args, **kwargs):
    """Serves the cut fonts; refuses everything else, so a template can never reach out to a
    network (bank networks are closed, and a PDF should not depend on one)."""
    if url.startswith(SCHEME):
        data = _cuts.get(url[len(SCHEME) :])
        if data is not None:
            return {"string": data, "mime_type": "font/otf", "redirected_url": url}
    raise ValueError(f"PDF templates may not load {url!r}")
