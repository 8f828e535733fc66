"""Complete Discord payloads for the fake's one guild: users, members, roles, channels, the app.

``USERS`` is the fake's directory of people (load tests add their askers to it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from tests.fakes.discord.ids import (
    ALICE_ID,
    ALL_PERMISSIONS,
    APP_ID,
    BOB_ID,
    BOT_ID,
    BOT_ROLE_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    GUILD_ID,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    MOD_ROLE_ID,
    OWNER_ID,
)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "bot": bot,
        "system": False,
        "primary_guild": None,
        "collectibles": None,
    }


BOT_USER = user(BOT_ID, "deepseek-faq", bot=True)
USERS = {
    ALICE_ID: user(ALICE_ID, "alice"),
    BOB_ID: user(BOB_ID, "bob"),
    OWNER_ID: user(OWNER_ID, "owner"),
}


def member(
    user_id: int | None, *, roles: list[int] | None = None, permissions: str | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(r) for r in roles or []],
        "joined_at": "2024-01-01T00:00:00+00:00",
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "nick": None,
        "avatar": None,
        "banner": None,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }
    if user_id is not None:
        data["user"] = BOT_USER if user_id == BOT_ID else USERS[user_id]
    if permissions is not None:
        data["permissions"] = permissions
    return data


def role(role_id: int, name: str, *, permissions: str, position: int, managed: bool = False):
    data: dict[str, Any] = {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": permissions,
        "managed": managed,
        "mentionable": True,
        "flags": 0,
    }
    if managed:
        data["tags"] = {"bot_id": str(BOT_ID)}
    return data


def text_channel(channel_id: int = CHANNEL_ID, name: str = "general") -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(GUILD_ID),
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "topic": None,
        "nsfw": False,
        "parent_id": None,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "last_pin_timestamp": None,
        "default_thread_rate_limit_per_user": 0,
        "flags": 0,
        "permissions": ALL_PERMISSIONS,
    }


def dm_channel(user_id: int = ALICE_ID, channel_id: int = DM_CHANNEL_ID) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 1,
        "last_message_id": None,
        "flags": 0,
        "recipients": [USERS[user_id]],
    }


def guild(extra_channels: Sequence[int] = ()) -> dict[str, Any]:
    """A complete GUILD_CREATE payload: the @everyone role's id is the guild id.

    ``extra_channels``: ids of more text channels (load tests spread questions over them).
    """
    return {
        "id": str(GUILD_ID),
        "name": "FAQ Test Server",
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(OWNER_ID),
        "region": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": str(CHANNEL_ID),
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_presences": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "de",
        "nsfw_level": 0,
        "nsfw": False,
        "incidents_data": None,
        "inventory_settings": None,
        "hub_type": None,
        "latest_onboarding_question_id": None,
        "roles": [
            role(GUILD_ID, "@everyone", permissions=MEMBER_PERMISSIONS, position=0),
            role(MOD_ROLE_ID, "Moderators", permissions=str(MANAGE_GUILD), position=1),
            role(
                BOT_ROLE_ID,
                "deepseek-faq",
                permissions=MEMBER_PERMISSIONS,
                position=2,
                managed=True,
            ),
        ],
        "emojis": [],
        "stickers": [],
        "soundboard_sounds": [],
        "joined_at": "2024-01-01T00:00:00+00:00",
        "large": False,
        "unavailable": False,
        "member_count": 4,
        "voice_states": [],
        "members": [member(BOT_ID, roles=[BOT_ROLE_ID])],
        "channels": [
            text_channel(),
            *(text_channel(cid, f"channel-{n}") for n, cid in enumerate(extra_channels, 1)),
        ],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "embedded_activities": [],
        "activity_instances": [],
        "application_command_counts": {},
        "lazy": True,
        "home_header": None,
    }


def application() -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "DeepSeek FAQ",
        "icon": None,
        "description": "FAQ bot (test)",
        "summary": "",
        "type": None,
        "hook": True,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 1 << 23,
        "owner": USERS[OWNER_ID],
        "team": None,
        "bot": BOT_USER,
        "rpc_origins": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "tags": [],
        "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
        "integration_types_config": {"0": {}},
        "custom_install_url": None,
        "approximate_guild_count": 1,
        "approximate_user_install_count": 0,
        "interactions_event_types": [],
        "interactions_version": 1,
        "explicit_content_filter": 0,
        "is_monetized": False,
        "is_verified": False,
        "is_discoverable": False,
        "storefront_available": False,
        "event_webhooks_url": None,
        "event_webhooks_status": 1,
        "event_webhooks_types": [],
    }
