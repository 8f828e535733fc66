"""What the REST routes do with messages and interactions: store, edit, answer, follow up.

Messages are stored as Discord returns them (a repeated send with the same nonce hands
back the message already made); interaction callbacks, deferrals and webhook follow-ups
behave as Discord's do, including the "thinking" message a deferral leaves.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.discord.ids import APP_ID, CHANNEL_ID, DM_CHANNEL_ID, EPHEMERAL, GUILD_ID
from tests.fakes.discord.limits import InvalidForm, check_message
from tests.fakes.discord.payloads import BOT_USER, now


class Messages:
    """The message store of :class:`~tests.fakes.discord.server.FakeDiscord` (a mixin)."""

    messages: dict[int, dict[str, Any]]
    interactions: dict[int, dict[str, Any]]
    _by_nonce: dict[tuple[int, str], int]  # (channel, nonce) -> message id

    def _message(
        self, channel_id: int, body: dict[str, Any], *, author: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        message_id = self.snowflake()
        data: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": author or BOT_USER,
            "content": body.get("content") or "",
            "timestamp": now(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts")),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "mention_channels": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "reactions": [],
            "pinned": False,
            "type": 19 if body.get("message_reference") else 0,
            "flags": body.get("flags") or 0,
            "components": body.get("components") or [],
            "sticker_items": [],
            "position": 0,
        }
        if channel_id != DM_CHANNEL_ID:
            data["guild_id"] = str(GUILD_ID)
        if body.get("message_reference"):
            data["message_reference"] = {
                "channel_id": str(channel_id),
                "type": 0,
                **body["message_reference"],
            }
        return data

    def _store_message(self, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
        nonce = body.get("nonce")
        if body.get("enforce_nonce") and nonce is not None:
            # Discord: the same author and nonce again returns the message already made.
            earlier = self._by_nonce.get((channel_id, str(nonce)))
            if earlier is not None:
                return self.messages[earlier]
        data = self._message(channel_id, body)
        self.messages[int(data["id"])] = data
        if nonce is not None:
            self._by_nonce[(channel_id, str(nonce))] = int(data["id"])
        return data

    def _edit_message(self, message_id: int, body: dict[str, Any]) -> dict[str, Any]:
        check_message({**self.messages.get(message_id, {}), **body, "flags": 0})
        data = self.messages.setdefault(message_id, self._message(CHANNEL_ID, {}))
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                data[key] = body[key]
        data["edited_timestamp"] = now()
        return data

    def _interaction_message(
        self, interaction: dict[str, Any], body: dict[str, Any]
    ) -> dict[str, Any]:
        data = self._message(int(interaction["channel_id"]), body)
        data["webhook_id"] = str(APP_ID)
        data["application_id"] = str(APP_ID)
        data["type"] = 20 if interaction["type"] == 2 else 0
        data["interaction_metadata"] = {
            "id": interaction["id"],
            "type": interaction["type"],
            "user": interaction.get("member", {}).get("user") or interaction.get("user"),
            "authorizing_integration_owners": interaction["authorizing_integration_owners"],
        }
        self.messages[int(data["id"])] = data
        return data

    def _callback(self, interaction_id: int, token: str, body: dict[str, Any]) -> dict[str, Any]:
        interaction = self.interactions.get(interaction_id)
        if interaction is None or interaction["token"] != token:
            raise InvalidForm("Unknown interaction")
        if interaction.get("_responded"):
            raise InvalidForm("Interaction has already been acknowledged.")
        interaction["_responded"] = True
        kind = body.get("type")
        data = body.get("data") or {}
        info: dict[str, Any] = {"id": str(interaction_id), "type": interaction["type"]}
        result: dict[str, Any] = {"interaction": info}
        if kind == 4:
            check_message(data)
            message = self._interaction_message(interaction, data)
            interaction["_original"] = int(message["id"])
            info["response_message_id"] = message["id"]
            info["response_message_loading"] = False
            info["response_message_ephemeral"] = bool((data.get("flags") or 0) & EPHEMERAL)
            result["resource"] = {"type": 4, "message": message}
        elif kind == 5:
            flags = (data.get("flags") or 0) | 128  # LOADING
            message = self._interaction_message(interaction, {"flags": flags})
            interaction["_original"] = int(message["id"])
            info["response_message_id"] = message["id"]
            info["response_message_loading"] = True
            info["response_message_ephemeral"] = bool(flags & EPHEMERAL)
            result["resource"] = {"type": 5, "message": message}
        elif kind == 7:
            target = int(interaction["message"]["id"])
            message = self._edit_message(target, data)
            info["response_message_id"] = message["id"]
            result["resource"] = {"type": 7, "message": message}
        elif kind in (6, 8, 9):
            result["resource"] = {"type": kind}
        else:
            raise InvalidForm(f"unsupported interaction response type {kind}")
        return result

    def _interaction_by_token(self, token: str) -> dict[str, Any]:
        for interaction in self.interactions.values():
            if interaction["token"] == token:
                return interaction
        raise InvalidForm("Unknown Webhook")

    def _webhook_message_id(self, token: str, which: str) -> int:
        interaction = self._interaction_by_token(token)
        if which == "@original":
            if "_original" not in interaction:
                raise InvalidForm("Unknown Message")
            return int(interaction["_original"])
        # By id: only a message this interaction's webhook sent (original or follow-up).
        meta = self.messages.get(int(which), {}).get("interaction_metadata") or {}
        if meta.get("id") != interaction["id"]:
            raise InvalidForm("Unknown Message")
        return int(which)

    def _followup(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        interaction = self._interaction_by_token(token)
        if not interaction.get("_responded"):
            raise InvalidForm("Unknown Webhook")
        check_message(body)
        original = interaction.get("_original")
        loading = original is not None and self.messages[original]["flags"] & 128
        if loading:
            # The first follow-up after a deferral replaces the "thinking" message.
            data = self.messages[original]
            data.update(
                content=body.get("content") or "",
                embeds=body.get("embeds") or [],
                components=body.get("components") or [],
                flags=(data["flags"] & ~128) | (body.get("flags") or 0),
            )
            return data
        return self._interaction_message(interaction, body)
