"""The schema as SQLAlchemy Core tables. Alembic migrations are the only way it changes."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

metadata = MetaData()

# Highest first. An author creates and edits cards only; what they write waits for an
# editor's approval (CONTRACT §12, migration 0011).
ROLES = ("admin", "editor", "author", "viewer")
APPROVALS = ("pending", "approved")
SNIPPET_STATUSES = ("pending", "sending", "sent", "failed", "needs_check", "expired", "deleted")

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("role in ('admin', 'editor', 'author', 'viewer')", name="users_role"),
)

sessions = Table(
    "sessions",
    metadata,
    # sha256 of the cookie value: a leaked table does not leak live sessions.
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

platforms = Table(
    "platforms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("position", Integer, nullable=False, server_default=text("0")),
    Column("interval_s", Integer, nullable=False),
    Column("paused", Boolean, nullable=False, server_default=text("false")),
    Column("last_sent_at", DateTime(timezone=True)),
    Column("status", String(32), nullable=False, server_default=text("'ok'")),
    Column("status_message", Text),
    Column("settings", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # Fernet token of the JSON secrets; never leaves the server.
    Column("secrets", LargeBinary),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("deleted_at", DateTime(timezone=True)),
    # The holds in force on this column (0006): it publishes nothing from its queue while any.
    Column("hold_ids", ARRAY(Integer), nullable=False, server_default=text("'{}'::integer[]")),
    # With rhythm rules in the settings, interval_s overrides them until then (0012).
    Column("interval_until", DateTime(timezone=True)),
    # The watcher's place on the account (CONTRACT §9, 0014): where its next look goes on from,
    # when it last looked (null: never; the first look reads the last day), its last failure.
    Column("watch_cursor", Text),
    Column("watched_at", DateTime(timezone=True)),
    Column("watch_error", Text),
    # When the credentials stop working unless a person renews them (0015; poster/tokens.py).
    Column("token_expires_at", DateTime(timezone=True)),
)

# Kept verbatim in step with migrations/versions/0002_materials.py.
_DOC = (
    "translate(coalesce(title, '') || ' ' || coalesce(lead, '') || ' ' || "
    "coalesce(social_text, '') || ' ' || coalesce(section, '') || ' ' || "
    "metronome_words(tags), 'ёЁ', 'еЕ')"
)
MATERIALS_SEARCH_EXPR = f"to_tsvector('russian', {_DOC}) || to_tsvector('simple', {_DOC})"

materials = Table(
    "materials",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(200), nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False, server_default=text("''")),
    Column("lead", Text),
    Column("social_text", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("section", Text),
    Column("tags", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("image_url", Text),
    Column("video_url", Text),
    Column("published_at", DateTime(timezone=True)),
    # The feed an item came from (null: the CMS).
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="SET NULL")),
    # "Newest first": the CMS's publish time, else when we first saw it.
    Column(
        "sort_at",
        DateTime(timezone=True),
        Computed("coalesce(published_at, created_at)"),
        nullable=False,
    ),
    # Stemmed (russian, which stems Latin words as English) plus whole words (simple, for
    # prefixes of half-typed words); the expression lives in migration 0002.
    Column("search", TSVECTOR, Computed(MATERIALS_SEARCH_EXPR)),
    # fastupdate off: see migration 0003.
    Index(
        "materials_search", "search", postgresql_using="gin", postgresql_with={"fastupdate": "off"}
    ),
    Index("materials_recent", text("sort_at DESC"), text("id DESC")),
    Index("materials_url", "url", postgresql_using="hash"),
)

snippets = Table(
    "snippets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform_id", Integer, ForeignKey("platforms.id"), nullable=False),
    Column("ord", Float, nullable=False),
    Column("kind", String(16), nullable=False, server_default=text("'post'")),
    Column("interval_s", Integer),
    Column("status", String(16), nullable=False, server_default=text("'pending'")),
    Column("body", Text, nullable=False, server_default=text("''")),
    Column("url", Text),
    Column("material_id", Integer, ForeignKey("materials.id")),
    Column("user_id", Integer, ForeignKey("users.id")),
    # Derived from the schedule walk and kept in step by every command, so a patch can say
    # exactly which publish times moved.
    Column("eta", DateTime(timezone=True)),
    Column("meta", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    # The status before a delete or a clear, so restore puts the card back as it was.
    Column("deleted_from", String(16)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True)),
    # The card's own images and videos: [{"id": media id, "kind": "image"|"video"}] (0004).
    Column("media", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    # Clicks on the card's tracked links so far; null: it has none (0013, board/clicks.py).
    Column("clicks", BigInteger),
    # Never published at or after this moment; when it passes while pending: `expired` (0006).
    Column("expires_at", DateTime(timezone=True)),
    # The eta the rhythm gave before a quiet window moved it to the window's end (0012).
    Column("eta_before_quiet", DateTime(timezone=True)),
    # "pending": an author's card (or a feed's draft) waiting for an editor: it keeps its
    # place but takes no slot and is never published; "approved": it takes its slot (0011).
    Column("approval", String(16), nullable=False, server_default=text("'approved'")),
    # "external": a post a watcher found on the account, made outside Metronome (0014).
    Column("origin", String(16)),
    CheckConstraint("kind in ('post', 'interval')", name="snippets_kind"),
    CheckConstraint("origin in ('external')", name="snippets_origin"),
    CheckConstraint("approval in ('pending', 'approved')", name="snippets_approval"),
    CheckConstraint(
        "status in ('pending', 'sending', 'sent', 'failed', 'needs_check', 'deleted', 'expired')",
        name="snippets_status",
    ),
    CheckConstraint("kind = 'post' or interval_s > 0", name="snippets_interval"),
    Index("snippets_queue", "platform_id", "ord", postgresql_where=text("status = 'pending'")),
    Index("snippets_history", "platform_id", "finished_at"),
    Index("snippets_url", "url", postgresql_using="hash"),
    Index(
        "snippets_remote",
        "platform_id",
        text("(meta->>'remote_id')"),
        postgresql_where=text("meta ? 'remote_id'"),
    ),
    # An external post is recorded once, whoever sees it again (0014).
    Index(
        "snippets_external",
        "platform_id",
        text("(meta->>'remote_id')"),
        unique=True,
        postgresql_where=text("origin = 'external'"),
    ),
    Index(
        "snippets_expiry",
        "platform_id",
        "expires_at",
        postgresql_where=text("status = 'pending' AND expires_at IS NOT NULL"),
    ),
)

events = Table(
    "events",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("op", String(64), nullable=False),
    Column("args", JSONB, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", String(32)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The cards the event changed (board/unit.py fills it from the patch): a card's story is
    # one GIN index scan (board/history.py). Empty for events before migration 0011.
    Column("snippet_ids", ARRAY(Integer), nullable=False, server_default=text("'{}'::integer[]")),
    Index("events_snippets", "snippet_ids", postgresql_using="gin"),
)

# Board-wide holds (board/holds.py, 0006): the listed columns publish nothing from their queues
# until released, by an editor or at `until` (exactly once, by whichever instance is first).
holds = Table(
    "holds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("platform_ids", ARRAY(Integer), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("until", DateTime(timezone=True)),
    Column("released_at", DateTime(timezone=True)),
    # Null with released_at set: the hold ended by itself at `until`.
    Column("released_by", Integer, ForeignKey("users.id")),
    Index("holds_active", "until", postgresql_where=text("released_at IS NULL")),
)

# Patches too large for a NOTIFY payload (8000 bytes) wait here; the notification names the row.
changes = Table(
    "changes",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# RSS/Atom sources (board/feeds.py). Each is polled on its own schedule: next_poll_at.
feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("title", Text),
    Column("interval_s", Integer, nullable=False),
    Column("section", Text),
    # New items also land as cards in this drafts column, when set.
    Column("drafts_platform_id", Integer, ForeignKey("platforms.id", ondelete="SET NULL")),
    # Validators of the last 200 answer, sent back for a conditional GET.
    Column("etag", Text),
    Column("last_modified", Text),
    Column("status", String(16), nullable=False, server_default=text("'new'")),
    Column("error", Text),
    Column("failures", Integer, nullable=False, server_default=text("0")),
    Column("last_polled_at", DateTime(timezone=True)),
    Column("last_ok_at", DateTime(timezone=True)),
    Column("next_poll_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("interval_s > 0", name="feeds_interval"),
    CheckConstraint("status in ('new', 'ok', 'failing')", name="feeds_status"),
    Index("feeds_due", "next_poll_at"),
)

# Uploaded images and videos, stored once (by sha256) on the local disk or S3 (the media package).
media = Table(
    "media",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("filename", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("backend", String(16), nullable=False),
    Column("key", Text, nullable=False),
    # The external URL a material's image or video was downloaded from (null: uploaded).
    Column("source_url", Text),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("kind in ('image', 'video')", name="media_kind"),
    CheckConstraint("backend in ('local', 's3')", name="media_backend"),
    UniqueConstraint("sha256", name="media_sha256"),
    Index("media_source_url", "source_url", postgresql_using="hash"),
)

# Which instance publishes each column, and since which claim (the fencing epoch). Taking a
# column bumps its epoch; a poster may mark a card `sending` only while the epoch it holds
# is current, so a poster that lost its column can never publish.
column_leaders = Table(
    "column_leaders",
    metadata,
    Column("platform_id", Integer, ForeignKey("platforms.id"), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("epoch", BigInteger, nullable=False),
    Column("since", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Tracked links (CONTRACT §11): METRONOME_PUBLIC_URL/l/<code> redirects to ``target``, the
# card's UTM-tagged URL as it was when the card went out. A code never changes its target: a
# card sent again with another URL gets another code, and the old post's link still works.
links = Table(
    "links",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("snippet_id", Integer, ForeignKey("snippets.id"), nullable=False),
    Column("target", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("links_snippet", "snippet_id"),
)

# Clicks counted per card, hour and referrer's domain ('' for none); no address, no cookie.
# Each instance adds its counts here every few seconds (web/clickcount.py).
clicks = Table(
    "clicks",
    metadata,
    Column("snippet_id", Integer, ForeignKey("snippets.id"), primary_key=True),
    Column("hour", DateTime(timezone=True), primary_key=True),
    Column("referrer", String(253), primary_key=True, server_default=text("''")),
    Column("count", BigInteger, nullable=False),
    CheckConstraint("count > 0", name="clicks_count"),
    Index("clicks_hour", "hour"),
)

# The flushes already stored, by the id their instance gave them: a flush whose commit was
# never confirmed (the connection broke) is sent again under the same id and counted once.
# Kept a day (board/clicks.py).
click_flushes = Table(
    "click_flushes",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("click_flushes_created", "created_at"),
)

# Alert targets (CONTRACT §10, alerts/): where trouble is reported; secrets sealed as columns'.
alert_targets = Table(
    "alert_targets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("settings", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("secrets", LargeBinary, nullable=True),
    Column("events", ARRAY(String(32)), nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'new'")),
    Column("last_error", Text, nullable=True),
    Column("last_error_at", DateTime(timezone=True), nullable=True),
    Column("last_ok_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# What was reported when, per (event, subject): the claim every instance races for.
alert_marks = Table(
    "alert_marks",
    metadata,
    Column("event", String(32), primary_key=True),
    Column("subject", String(64), primary_key=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("false")),
)
