"""Files attached to a job's prompt: checked when the job is submitted, kept with the
prompt, listed in the conversation and named in the answer when the planner cannot
read them."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import insert, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.http.errors import BadRequest
from parley.tables import job_attachments

MAX_ATTACHMENTS = 5
# Decoded size of one file, and of all of a job's files together.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 10 * 1024 * 1024

# What each accepted type starts with. An image type without a known signature is
# refused rather than stored unchecked.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",),
}


class AttachmentIn(BaseModel):
    """One file as a job request carries it."""

    model_config = ConfigDict(extra="ignore")

    data: str = Field(min_length=1, description="The file, base64-encoded.")
    mimeType: str = Field(
        min_length=1,
        max_length=100,
        description="image/png, image/jpeg, image/gif, image/webp or application/pdf.",
    )
    name: str | None = Field(default=None, max_length=255, description="For display only.")


@dataclass(frozen=True)
class Attachment:
    name: str | None
    mime_type: str
    data: bytes


def decode(items: list[AttachmentIn] | None) -> list[Attachment]:
    """The files of a request, decoded and checked; a 400 names the first one at fault."""
    if not items:
        return []
    if len(items) > MAX_ATTACHMENTS:
        raise BadRequest(f"attachments: at most {MAX_ATTACHMENTS} files")
    decoded: list[Attachment] = []
    total = 0
    for index, item in enumerate(items):
        where = f"attachments.{index}"
        mime = item.mimeType.strip().lower()
        if not (mime.startswith("image/") or mime == "application/pdf"):
            raise BadRequest(f"{where}.mimeType: must be an image type or application/pdf")
        signatures = _SIGNATURES.get(mime)
        if signatures is None:
            supported = ", ".join(sorted(_SIGNATURES))
            raise BadRequest(f"{where}.mimeType: {mime} is not supported (use one of {supported})")
        # The decoded size is known before decoding: refuse a huge file without copying it.
        if len(item.data) > (MAX_FILE_BYTES * 4) // 3 + 4:
            raise BadRequest(f"{where}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        try:
            data = base64.b64decode(item.data, validate=True)
        except (binascii.Error, ValueError) as error:
            raise BadRequest(f"{where}.data: not valid base64") from error
        if not data:
            raise BadRequest(f"{where}.data: empty file")
        if len(data) > MAX_FILE_BYTES:
            raise BadRequest(f"{where}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        if not data.startswith(signatures) or (mime == "image/webp" and data[8:12] != b"WEBP"):
            raise BadRequest(f"{where}.data: the content is not {mime}")
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise BadRequest(
                f"attachments: more than {MAX_TOTAL_BYTES // (1024 * 1024)} MiB in all"
            )
        name = item.name.strip() if item.name else None
        decoded.append(Attachment(name or None, mime, data))
    return decoded


async def store(conn: AsyncConnection, job_id: uuid.UUID, files: list[Attachment]) -> None:
    if files:
        await conn.execute(
            insert(job_attachments),
            [
                {
                    "id": uuid.uuid4(),
                    "job_id": job_id,
                    "position": position,
                    "name": f.name,
                    "mime_type": f.mime_type,
                    "size_bytes": len(f.data),
                    "data": f.data,
                }
                for position, f in enumerate(files)
            ],
        )


def _listing(row: RowMapping) -> dict[str, Any]:
    return {"name": row["name"], "mimeType": row["mime_type"], "sizeBytes": row["size_bytes"]}


async def of_job(conn: AsyncConnection, job_id: uuid.UUID) -> list[dict[str, Any]]:
    """A job's files as the API lists them (without their content)."""
    query = (
        select(job_attachments.c.name, job_attachments.c.mime_type, job_attachments.c.size_bytes)
        .where(job_attachments.c.job_id == job_id)
        .order_by(job_attachments.c.position)
    )
    return [_listing(row._mapping) for row in (await conn.execute(query)).all()]


async def images_of(conn: AsyncConnection, job_id: uuid.UUID) -> list[Attachment]:
    """A job's images with their content, for a model that looks at them."""
    c = job_attachments.c
    query = (
        select(c.name, c.mime_type, c.data)
        .where(c.job_id == job_id, c.mime_type.like("image/%"))
        .order_by(c.position)
    )
    return [
        Attachment(row.name, row.mime_type, bytes(row.data))
        for row in (await conn.execute(query)).all()
    ]


def data_url(file: Attachment) -> str:
    return f"data:{file.mime_type};base64,{base64.b64encode(file.data).decode('ascii')}"


def is_image(listed: dict[str, Any]) -> bool:
    return str(listed["mimeType"]).startswith("image/")


def unread_note(listed: list[dict[str, Any]], *, reads_images: bool = False) -> str:
    """The sentence an answer ends with when the planner could not look at the files."""
    names = ", ".join(f"{a['name'] or 'unnamed'} ({a['mimeType']})" for a in listed)
    reads = "the question's text and images" if reads_images else "the question's text"
    return (
        f"\n\n_I could not look at the attached files ({names}): this assistant "
        f"reads {reads} only._"
    )
