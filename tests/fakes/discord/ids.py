"""The fake Discord's token, ids and permission bits: what tests address and compare with."""

from __future__ import annotations

# A made-up token in Discord's shape (so log redaction patterns would match it too).
TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0MzI.GfAkEt.fakeTokenForTestsOnly_abcdefghijklmn"
APP_ID = 1098765432109876543
BOT_ID = APP_ID
GUILD_ID = 1200000000000000001
CHANNEL_ID = 1200000000000000002
MOD_ROLE_ID = 1200000000000000003
BOT_ROLE_ID = 1200000000000000004
OWNER_ID = 1200000000000000005
ALICE_ID = 1200000000000000010
BOB_ID = 1200000000000000011
DM_CHANNEL_ID = 1200000000000000020

MAX_CONTENT = 2000
ALL_PERMISSIONS = str((1 << 51) - 1)
MEMBER_PERMISSIONS = str(0x0000_0000_0006_4C40)  # view, send, read history, embed, ...
MANAGE_GUILD = 1 << 5
EPHEMERAL = 1 << 6
