"""Every exception Reclaim raises on purpose, in one tree.

Library code raises only these for expected failures; a foreign error (Pillow, SQLAlchemy, OS)
is caught where the call is made and re-raised ``from exc``. Anything else is a bug and keeps
its traceback. Each message is one line that names the file, locator, bank or case.

::

    ReclaimError                 exit 1   http 500
    ├── UserError                exit 2   http 400   bad arguments, bad hash text
    │   ├── InvalidHash                   http 400   a hash string that does not parse
    │   ├── NotFound             exit 2   http 404   bank, case, entry
    │   ├── AlreadyExists        exit 2   http 409   bank or case name taken
    │   └── WrongPassphrase      exit 2   http 403   a vault or key file did not open with it
    ├── ItemError                exit 1   http 422   one item fails; a scan records it and goes on
    │   ├── MediaError                               the file cannot be decoded safely
    │   │   ├── DecodeError                          truncated, corrupt, not what its name says
    │   │   ├── UnsupportedFormat                    a format we do not decode
    │   │   ├── TooLarge                             file size, pixel count (bombs), decode time
    │   │   └── UnreadableFile                       missing, permission denied, not a file
    │   ├── PathEscapesRoot                          a symlink or path outside the scanned folder
    │   └── SignalError                              a signal cannot be computed for this item
    ├── SourceError              exit 1   http 422   a whole source (folder, export) is unusable
    ├── ConsentError             exit 2   http 403   a face query for someone not enrolled with consent
    ├── IntegrityError           exit 4   http 409   stored data contradicts itself; never swallowed
    └── ExternalError            exit 3   http 502   database down, network; wraps the cause
"""

from __future__ import annotations

from typing import ClassVar


class ReclaimError(Exception):
    """Base of every expected failure; carries its CLI exit code and HTTP status."""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 500
    code: ClassVar[str] = "error"

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))  # always one line

    @property
    def message(self) -> str:
        return str(self)


class UserError(ReclaimError):
    exit_code = 2
    http_status = 400
    code = "bad_request"


class InvalidHash(UserError):
    code = "invalid_hash"


class NotFound(UserError):
    http_status = 404
    code = "not_found"


class AlreadyExists(UserError):
    http_status = 409
    code = "already_exists"


class WrongPassphrase(UserError):
    http_status = 403
    code = "wrong_passphrase"


class ItemError(ReclaimError):
    """One item failed; the surrounding scan records it as skipped and carries on."""

    http_status = 422
    code = "item_failed"


class MediaError(ItemError):
    code = "media_error"


class DecodeError(MediaError):
    code = "decode_error"


class UnsupportedFormat(MediaError):
    code = "unsupported_format"


class TooLarge(MediaError):
    code = "too_large"


class UnreadableFile(MediaError):
    code = "unreadable_file"


class PathEscapesRoot(ItemError):
    code = "path_escapes_root"


class SignalError(ItemError):
    code = "signal_error"


class SourceError(ReclaimError):
    http_status = 422
    code = "source_error"


class ConsentError(ReclaimError):
    """Face search answers only for identities enrolled with recorded consent; refusals are audit-logged."""

    exit_code = 2
    http_status = 403
    code = "consent_required"


class IntegrityError(ReclaimError):
    exit_code = 4
    http_status = 409
    code = "integrity_error"


class ExternalError(ReclaimError):
    exit_code = 3
    http_status = 502
    code = "external_error"
