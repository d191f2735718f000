"""PDF/A-3b plumbing for the rendered PDFs: XMP metadata, the sRGB output intent, the attached
canonical record (PDF/A-3 associated file), fixed document dates and the trailer ``/ID``.

PDF/A-3b status (not validated: veraPDF is not available here, so this is a checklist, not a claim)
-------------------------------------------------------------------------------------------------
Done:
* header ``%PDF-1.7`` followed by a binary comment line; no encryption; trailer ``/ID``;
* XMP metadata stream (uncompressed, UTF-8, xpacket wrapper) on the catalog with
  ``pdfaid:part=3``, ``pdfaid:conformance=B``, ``dc:title``/``dc:creator``/``dc:description``,
  ``pdf:Producer``/``pdf:Keywords``/``pdf:Trapped``, ``xmp:CreatorTool``/``CreateDate``/``ModifyDate``/
  ``MetadataDate``, ``xmpMM:DocumentID``/``InstanceID``; the Info dictionary carries the same values;
* ``/OutputIntents`` with one ``/GTS_PDFA1`` intent whose ``/DestOutputProfile`` is an sRGB ICC
  profile from LittleCMS via Pillow (``ImageCms.createProfile("sRGB")``, ICC v4.4, 588 bytes,
  ``/N 3``; built once and cached); all colours are DeviceRGB;
* every font embedded (TrueType subsets with ``/FontFile2``, ToUnicode maps);
* no transparency, no images, no annotations, no JavaScript, no external content;
* the embedded file meets the PDF/A-3 associated-file rules (MIME ``/Subtype``, ``/Params
  /ModDate``, ``/F`` + ``/UF``, ``/AFRelationship``, referenced from ``/AF``).

Not done / unverified:
* no veraPDF run, so no conformance claim. Checked by hand instead: the fonts are reportlab
  TrueType subsets flagged symbolic (``/Flags 4``) with no ``/Encoding`` and a single (1,0) cmap
  subtable, which is what rule 6.2.11.6 asks of symbolic TrueType fonts; ``/Widths`` come from the
  font's hmtx. Open risks a validator could still raise: glyph-width rounding (6.2.11.5), and the
  lcms "sRGB built-in" profile being ICC v4.4 (allowed in PDF/A-2/3, but some older tools expect v2);
* the ``/AF`` array is on the catalog only (no page- or annotation-level associations);
* no PDF/A extension schema is declared (none is needed for the properties used);
* signing later adds incremental updates (fields, widgets, DSS); pyHanko must keep the Info and
  XMP dates in sync and give widgets the print flag for the final file to remain PDF/A-3b.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
import time
import zlib
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

ATTACHMENT_NAME = "hocba-record.json"


@lru_cache(maxsize=1)
def _srgb_icc() -> bytes:
    from PIL import ImageCms

    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    # LittleCMS stamps the creation time into the header (bytes 24-35, ICC dateTimeNumber);
    # pin it so the PDF stays byte-for-byte reproducible. The header's profile ID is left zero.
    struct.pack_into(">6H", icc, 24, 2024, 1, 1, 0, 0, 0)
    return bytes(icc)


@lru_cache(maxsize=1)
def _srgb_icc_compressed() -> bytes:
    return zlib.compress(_srgb_icc(), 9)


# --------------------------------------------------------------------------- XMP, dates, catalog


def _xmp(
    *,
    title: str,
    author: str,
    subject: str,
    keywords: str,
    producer: str,
    creator: str,
    moment: dt.datetime,
    doc_uuid: str,
) -> bytes:
    e = xml_escape
    when = moment.isoformat()
    xml = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{e(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{e(author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{e(subject)}</rdf:li></rdf:Alt></dc:description>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{e(producer)}</pdf:Producer>
   <pdf:Keywords>{e(keywords)}</pdf:Keywords>
   <pdf:Trapped>False</pdf:Trapped>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreatorTool>{e(creator)}</xmp:CreatorTool>
   <xmp:CreateDate>{when}</xmp:CreateDate>
   <xmp:ModifyDate>{when}</xmp:ModifyDate>
   <xmp:MetadataDate>{when}</xmp:MetadataDate>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">
   <xmpMM:DocumentID>uuid:{doc_uuid}</xmpMM:DocumentID>
   <xmpMM:InstanceID>uuid:{doc_uuid}</xmpMM:InstanceID>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>"""
    return xml.encode("utf-8")


def _pdf_date(moment: dt.datetime) -> str:
    off = moment.utcoffset() or dt.timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return moment.strftime("D:%Y%m%d%H%M%S") + f"{sign}{hh:02d}'{mm:02d}'"


def _fixed_timestamp(moment: dt.datetime) -> TimeStamp:
    ts = TimeStamp(invariant=1)
    off = moment.utcoffset() or dt.timedelta(0)
    minutes = int(off.total_seconds() // 60)
    ts.t = moment.timestamp()
    ts.lt = time.struct_time(moment.timetuple())
    ts.YMDhms = tuple(moment.timetuple())[:6]
    ts.dhh, ts.dmm = divmod(minutes, 60)
    ts.tzname = moment.tzname() or "UTC"
    return ts


# reportlab's catalog writes only the keys it lists; add the PDF/A-3 ones (as indirect objects).
_CATALOG_KEYS = [*pdfdoc.PDFCatalog.__NoDefault__, "OutputIntents", "AF"]


def _attach_pdfa_objects(
    canvas: Canvas, *, record_json: bytes, moment: dt.datetime, xmp: bytes, file_id: bytes
) -> None:
    doc: Any = canvas._doc  # reportlab keeps the document model here
    cat = doc.Catalog
    cat.__NoDefault__ = cat.__Refs__ = _CATALOG_KEYS

    D, N, S, A = pdfdoc.PDFDictionary, pdfdoc.PDFName, pdfdoc.PDFString, pdfdoc.PDFArray
    stamp = S(_pdf_date(moment))

    xmp_stream = pdfdoc.PDFStream(D({"Type": N("Metadata"), "Subtype": N("XML")}), content=xmp)
    cat.Metadata = xmp_stream

    icc_stream = pdfdoc.PDFStream(D({"N": 3, "Filter": N("FlateDecode")}), content=_srgb_icc_compressed())
    intent = D(
        {
            "Type": N("OutputIntent"),
            "S": N("GTS_PDFA1"),
            "OutputConditionIdentifier": S("sRGB IEC61966-2.1"),
            "RegistryName": S("http://www.color.org"),
            "Info": S("sRGB IEC61966-2.1"),
            "DestOutputProfile": doc.Reference(icc_stream),
        }
    )
    cat.OutputIntents = A([intent])

    ef_stream = pdfdoc.PDFStream(
        D(
            {
                "Type": N("EmbeddedFile"),
                "Subtype": "/application#2Fjson",  # PDFName does not escape "/"
                "Filter": N("FlateDecode"),
                "Params": D(
                    {
                        "Size": len(record_json),
                        "ModDate": stamp,
                        "CheckSum": pdfdoc.PDFText(hashlib.md5(record_json, usedforsecurity=False).digest()),
                    }
                ),
            }
        ),
        content=zlib.compress(record_json, 6),
    )
    ef_ref = doc.Reference(ef_stream)
    filespec = D(
        {
            "Type": N("Filespec"),
            "F": S(ATTACHMENT_NAME),
            "UF": S(ATTACHMENT_NAME),
            "Desc": S("Canonical record (RFC 8785 JSON, schema hocba/1) / Hồ sơ gốc dạng JSON chuẩn hoá"),
            "AFRelationship": N("Data"),
            "EF": D({"F": ef_ref, "UF": ef_ref}),
        }
    )
    fs_ref = doc.Reference(filespec)
    cat.AF = A([fs_ref])
    cat.Names = D({"EmbeddedFiles": D({"Names": A([S(ATTACHMENT_NAME), fs_ref])})})

    hex_id = file_id.hex().upper().encode("ascii")
    doc._ID = b"[<" + hex_id + b"><" + hex_id + b">]"
