"""Social posts as Clarion accepts them (docs/sentiment.md): the shape, its limits
and validation, handles and hashtags normalised, the dedupe key."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.common.json_input import JsonInputError, parse_json
from clarion.domain.common.model import validation_problems
from clarion.domain.events.records import Reject, check_epoch_ms

# Comprehend's real-time APIs take at most 5,000 bytes of UTF-8 per document; a post
# whose text is longer is rejected rather than scored on its first part.
MAX_TEXT_BYTES = 5000
# One post as a JSON document (text, hashtags and the rest together).
MAX_POST_BYTES = 16 * 1024
MAX_HASHTAGS = 30
MAX_HASHTAG_LENGTH = 100
MAX_POST_ID_LENGTH = 128
MAX_HANDLE_LENGTH = 64
# How many documents BatchDetectSentiment (and the other batch calls) take at once.
COMPREHEND_BATCH_SIZE = 25

UNDETERMINED_LANGUAGE = "und"

_PLATFORM = re.compile(r"^[a-z0-9_-]{1,32}$")
_POST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_HANDLE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_HASHTAG = re.compile(r"^\w{1,100}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
_TEXT_HASHTAG = re.compile(r"(?<![\w#])#(\w{1,100})")


def normalise_handle(handle: str) -> str:
    """The form handles are compared in: no leading ``@``, lower case, trimmed."""
    return handle.strip().lstrip("@").lower()


def hashtags_in(text: str) -> list[str]:
    """The ``#hashtags`` written in ``text``, without the ``#``, in order of appearance."""
    return list(dict.fromkeys(_TEXT_HASHTAG.findall(text)))


class SocialPost(BaseModel):
    """One social post, in the shape Clarion ingests (docs/sentiment.md).

    ``hashtags`` holds the given hashtags and those written in the text, without ``#``,
    deduplicated case-insensitively; ``created_at`` is epoch milliseconds (the JSON may
    give an ISO-8601 string with a zone, or epoch milliseconds).
    """

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    post_id: str
    platform: str
    author_handle: str
    author_follower_count: int = Field(default=0, ge=0)
    text: str
    language: str | None = None
    created_at: int
    hashtags: tuple[str, ...] = ()
    in_reply_to: str | None = None
    # Keys of the input outside the documented shape (parse_post fills it): the post is
    # processed without them, with a warning naming each.
    _unknown_keys: tuple[str, ...] = PrivateAttr(default=())

    @field_validator("post_id", "in_reply_to", mode="before")
    @classmethod
    def _post_id(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # platforms number their posts; JSON may carry a number
        if value is not None and (not isinstance(value, str) or not _POST_ID.match(value)):
            raise ValueError(
                f"must be 1-{MAX_POST_ID_LENGTH} characters of letters, digits and _.:-"
            )
        return value

    @field_validator("platform", mode="before")
    @classmethod
    def _platform(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _PLATFORM.match(value.strip().lower()):
            raise ValueError("must be a platform name such as twitter (a-z, 0-9, _ and -)")
        return value.strip().lower()

    @field_validator("author_handle", mode="before")
    @classmethod
    def _handle(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _HANDLE.match(value.strip().lstrip("@")):
            raise ValueError(
                f"must be a handle of 1-{MAX_HANDLE_LENGTH} letters, digits and _.- "
                "(a leading @ is allowed)"
            )
        return value.strip().lstrip("@")

    @field_validator("author_follower_count", mode="before")
    @classmethod
    def _followers(cls, value: Any) -> Any:
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        return value

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be non-empty text")
        size = len(value.encode("utf-8"))
        if size > MAX_TEXT_BYTES:
            raise ValueError(
                f"is {size} bytes of UTF-8; the limit is {MAX_TEXT_BYTES} (Comprehend's "
                "per-document limit)"
            )
        return value

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> Any:
        if value in (None, "", UNDETERMINED_LANGUAGE):
            return None
        if not isinstance(value, str) or not _LANGUAGE.match(value):
            raise ValueError("must be a language code such as en, es or zh-TW")
        return value

    @field_validator("created_at", mode="before")
    @classmethod
    def _created(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("must be ISO-8601 (with a zone) or epoch milliseconds") from None
            if moment.tzinfo is None:
                raise ValueError("must carry a time zone (such as Z or +01:00)")
            return int(moment.timestamp() * 1000)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be ISO-8601 (with a zone) or epoch milliseconds")
        return check_epoch_ms(value)

    @field_validator("hashtags", mode="before")
    @classmethod
    def _hashtags(cls, value: Any) -> Any:
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list of hashtags")
        if len(value) > MAX_HASHTAGS:
            raise ValueError(f"has {len(value)} hashtags; the limit is {MAX_HASHTAGS}")
        tags = []
        for tag in value:
            if not isinstance(tag, str) or not _HASHTAG.match(tag.lstrip("#")):
                raise ValueError(f"{tag!r} is not a hashtag (1-{MAX_HASHTAG_LENGTH} word chars)")
            tags.append(tag.lstrip("#"))
        return tuple(tags)

    def model_post_init(self, _context: Any) -> None:
        seen: dict[str, str] = {}
        for tag in (*self.hashtags, *hashtags_in(self.text)):
            seen.setdefault(tag.lower(), tag)
        object.__setattr__(self, "hashtags", tuple(seen.values())[:MAX_HASHTAGS])

    @property
    def warnings(self) -> list[str]:
        """One warning per input key outside the documented shape, with the documented
        key it most looks like (a mistyped ``author_followers`` loses the count)."""
        return [unknown_key_warning(key) for key in self._unknown_keys]

    @property
    def key(self) -> str:
        """The dedupe key: the same (platform, post id) is one post."""
        return dedupe_key(self.platform, self.post_id)

    @property
    def handle_key(self) -> str:
        """The author's handle as compared (see :func:`normalise_handle`)."""
        return normalise_handle(self.author_handle)

    @property
    def author_key(self) -> str:
        """The author on their platform: ``<platform>#<handle>``."""
        return f"{self.platform}#{self.handle_key}"

    def created(self) -> datetime:
        return datetime.fromtimestamp(self.created_at / 1000, UTC)

    def to_json(self) -> dict[str, Any]:
        """The post in its documented JSON shape (``created_at`` as ISO-8601)."""
        data: dict[str, Any] = {
            "post_id": self.post_id,
            "platform": self.platform,
            "author_handle": self.author_handle,
            "author_follower_count": self.author_follower_count,
            "text": self.text,
            "created_at": self.created().isoformat().replace("+00:00", "Z"),
            "hashtags": list(self.hashtags),
        }
        if self.language:
            data["language"] = self.language
        if self.in_reply_to:
            data["in_reply_to"] = self.in_reply_to
        return data


def dedupe_key(platform: str, post_id: str) -> str:
    """``<platform>#<post id>``, the platform lower-cased."""
    return f"{platform.strip().lower()}#{post_id}"


def parse_post(data: Any) -> SocialPost:
    """Validate one post (a JSON object already parsed).

    Raises
    ------
    InvalidRecordError
        One FieldProblem per broken rule (the post is rejected with them).
    """
    if not isinstance(data, Mapping):
        raise InvalidRecordError([FieldProblem("(record)", "must be a JSON object")])
    size = len(json.dumps(data, ensure_ascii=False, default=str).encode("utf-8"))
    if size > MAX_POST_BYTES:
        raise InvalidRecordError(
            [FieldProblem("(record)", f"is {size} bytes; the limit is {MAX_POST_BYTES}")]
        )
    try:
        post = SocialPost.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc)) from None
    unknown = tuple(str(key) for key in data if key not in POST_KEYS)
    if unknown:
        post._unknown_keys = unknown
    return post


# The documented keys of a post (docs/sentiment.md).
POST_KEYS = frozenset(SocialPost.model_fields)


def unknown_key_warning(key: str) -> str:
    """The warning for a key outside the documented shape of a post."""
    close = difflib.get_close_matches(key, sorted(POST_KEYS), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{key!r} is not a key of a post and was ignored{hint}"


def _reject(index: int, raw: Any, problems: Sequence[FieldProblem]) -> Reject:
    record_id = None
    if isinstance(raw, Mapping) and isinstance(raw.get("post_id"), str | int):
        record_id = f"{raw.get('platform')}#{raw.get('post_id')}"
    return Reject("social", index, record_id, tuple(problems), raw)


def parse_post_lines(lines: Iterable[str | bytes]) -> tuple[list[SocialPost], list[Reject]]:
    """Posts from JSON lines (blank lines skipped); each bad line becomes a Reject whose
    index is its 1-based line number."""
    posts: list[SocialPost] = []
    rejects: list[Reject] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        size = len(line) if isinstance(line, bytes) else len(line.encode("utf-8", "replace"))
        if size > MAX_POST_BYTES * 2:
            problem = FieldProblem("(record)", f"the line is over {MAX_POST_BYTES * 2} bytes")
            rejects.append(_reject(number, None, [problem]))
            continue
        try:
            data = parse_json(line)
        except JsonInputError as exc:
            # The raw line is kept only when it is text (a dead letter is JSON).
            raw = line if isinstance(line, str) else line.decode("utf-8", "replace")
            rejects.append(_reject(number, raw, [FieldProblem("(record)", f"the line {exc}")]))
            continue
        try:
            posts.append(parse_post(data))
        except InvalidRecordError as exc:
            rejects.append(_reject(number, data, exc.problems))
    return posts, rejects
