"""Hash lists exchanged with other centres, HMA, ThreatExchange tooling and StopNCII: one codec per format.

Hashes only: a list never carries media, locators or names. Formats (``Format``):

- ``pytx``: python-threatexchange's signal file, one ``<signal_type> <signal>`` line each, with pytx's names
  (``pdq``, ``video_md5``, ``video_sha256``, ``vpdq``), as its ``local_file`` exchange and
  ``threatexchange dataset -P -S`` read and write it. It cannot say "withdrawn": withdrawn hashes are left out,
  and a photo's md5/sha256 (no pytx type) too.
- ``hma-csv``: ``signal_type,signal_value,content_id,quality,note,added_at,withdrawn,hma_id`` (also read: bare
  two-column rows and pytx's ``dataset --csv`` header ``signal_type,signal_str``). ``hma_id`` is HMA's integer
  content id (``bank_content_id``), so an import can keep it (``banks.transfer``).
- ``stopncii-json``: StopNCII's FetchHashes answer (``hashRecords`` of ``ImagePDQ``/``VideoMD5``, with
  ``hashStatus``).

``read_list`` detects the format; every row's hash is validated by its signal's parser.
"""

from reclaim.exchange.codecs import read_list, write_list
from reclaim.exchange.model import Format, ListRows, SharedHash

__all__ = ["Format", "ListRows", "SharedHash", "read_list", "write_list"]
