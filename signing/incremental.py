"""pyHanko's incremental writer, with the document finalised once per write instead of twice.

pyHanko 0.38's ``IncrementalPdfFileWriter.write`` prepares the document for writing (font subsets, the
document information dictionary, the XMP metadata stream: parse the XML, update the dates, serialise it again)
and then calls the base class's ``write``, which prepares it a second time. The second pass re-parses and
re-serialises the XMP the first pass produced and sets the same modification dates (to the clock's current
second), so the document is the same; it costs about 1.3 ms per signature for a transcript.

:class:`IncrementalWriter` does that preparation once. Anything else (an empty update, a document whose
encryption carries a PDF MAC) takes pyHanko's own path, and so does any pyHanko version other than the one it was
checked against (``tests/signing/test_issue_speedups.py`` compares the bytes of both).
"""

from __future__ import annotations

from typing import IO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from . import cms_cache

__all__ = ["IncrementalWriter"]


class IncrementalWriter(IncrementalPdfFileWriter):
    def write(self, stream: IO[bytes]) -> None:
        if (
            not cms_cache.enabled()
            or (not self.objects and not self._force_write_when_empty)
            or self._need_mac_on_write
        ):
            super().write(stream)
            return
        # IncrementalPdfFileWriter.write, then BasePdfFileWriter.write without its second preparation
        self._prep_dom_for_writing()
        self._write(stream)
