"""Events the tests dispatch as users would cause them: messages, slash commands, clicks.

Each helper builds a complete MESSAGE_CREATE or INTERACTION_CREATE payload (slash
command, autocomplete, button click, message context menu) and sends it to the bot's
gateway session.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.fakes.discord.ids import (
    ALICE_ID,
    ALL_PERMISSIONS,
    APP_ID,
    BOT_ID,
    BOT_ROLE_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    GUILD_ID,
    MEMBER_PERMISSIONS,
)
from tests.fakes.discord.payloads import BOT_USER, USERS, dm_channel, member, text_channel
from tests.fakes.discord.rest import Request


class Events:
    """What users do, for :class:`~tests.fakes.discord.server.FakeDiscord` (a mixin)."""

    messages: dict[int, dict[str, Any]]
    interactions: dict[int, dict[str, Any]]
    commands: dict[int | None, list[dict[str, Any]]]

    def message_payload(
        self,
        content: str,
        *,
        author_id: int = ALICE_ID,
        channel_id: int = CHANNEL_ID,
        dm: bool = False,
        mentions: list[int] | None = None,
        mention_roles: list[int] | None = None,
        mention_everyone: bool = False,
        bot: bool = False,
        webhook: bool = False,
    ) -> dict[str, Any]:
        author = BOT_USER if author_id == BOT_ID else dict(USERS[author_id], bot=bot)
        body = {"content": content}
        data = self._message(DM_CHANNEL_ID if dm else channel_id, body, author=author)
        data["nonce"] = str(self.snowflake())
        data["mention_everyone"] = mention_everyone
        data["mention_roles"] = [str(r) for r in mention_roles or []]
        data["mentions"] = []
        for uid in mentions or []:
            mentioned = BOT_USER if uid == BOT_ID else USERS[uid]
            entry = dict(mentioned)
            if not dm:
                entry["member"] = member(None, roles=[BOT_ROLE_ID] if uid == BOT_ID else [])
            data["mentions"].append(entry)
        if not dm:
            data["member"] = member(None)
        if webhook:
            data["webhook_id"] = str(self.snowflake())
        return data

    async def send_message(self, content: str, **options: Any) -> dict[str, Any]:
        """A MESSAGE_CREATE from a user (``mentions=[BOT_ID]`` to address the bot)."""
        data = self.message_payload(content, **options)
        self.messages[int(data["id"])] = data
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any] | None,
        *,
        user_id: int = ALICE_ID,
        dm: bool = False,
        locale: str = "de",
        permissions: str = MEMBER_PERMISSIONS,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        interaction_id = self.snowflake()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"itoken-{uuid.uuid4().hex}",
            "version": 1,
            "locale": locale,
            "app_permissions": ALL_PERMISSIONS,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "authorizing_integration_owners": {"0": str(GUILD_ID)}
            if not dm
            else {"1": str(user_id)},
            "context": 1 if dm else 0,
        }
        if data is not None:
            payload["data"] = data
        if dm:
            payload["channel_id"] = str(DM_CHANNEL_ID)
            payload["channel"] = dm_channel(user_id)
            payload["user"] = USERS[user_id]
        else:
            payload["guild_id"] = str(GUILD_ID)
            payload["guild"] = {"id": str(GUILD_ID), "locale": "de", "features": []}
            payload["guild_locale"] = "de"
            payload["channel_id"] = str(CHANNEL_ID)
            payload["channel"] = text_channel()
            payload["member"] = member(user_id, permissions=permissions)
        if message is not None:
            payload["message"] = message
        self.interactions[interaction_id] = payload
        return payload

    def _command_id(self, name: str, kind: int = 1) -> str:
        for commands in self.commands.values():
            for command in commands:
                if command["name"] == name and command["type"] == kind:
                    return str(command["id"])
        return str(self.snowflake())

    async def slash(
        self, name: str, options: dict[str, Any] | None = None, **context: Any
    ) -> dict[str, Any]:
        """INTERACTION_CREATE for ``/name option=value...`` (string options)."""
        data = {
            "id": self._command_id(name),
            "name": name,
            "type": 1,
            "options": [
                {"name": key, "type": 3, "value": value} for key, value in (options or {}).items()
            ],
        }
        payload = self._interaction(2, data, **context)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def autocomplete(
        self, name: str, option: str, typed: str, **context: Any
    ) -> dict[str, Any]:
        data = {
            "id": self._command_id(name),
            "name": name,
            "type": 1,
            "options": [{"name": option, "type": 3, "value": typed, "focused": True}],
        }
        payload = self._interaction(4, data, **context)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def click(
        self, message: dict[str, Any], custom_id: str, **context: Any
    ) -> dict[str, Any]:
        """INTERACTION_CREATE for a click on a button of ``message`` (as the fake stored it)."""
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self._interaction(3, data, message=message, **context)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def message_command(
        self, name: str, target: dict[str, Any], **context: Any
    ) -> dict[str, Any]:
        """INTERACTION_CREATE for a message context-menu command on ``target``."""
        data = {
            "id": self._command_id(name, 3),
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        }
        payload = self._interaction(2, data, **context)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def message_of(self, request: Request) -> dict[str, Any]:
        """The stored message a recorded send created (e.g. to click its buttons)."""
        data = request.response
        if isinstance(data, dict) and "resource" in data:
            data = data["resource"].get("message")
        if not isinstance(data, dict) or "id" not in data:
            raise KeyError("this request created no message")
        return self.messages[int(data["id"])]
