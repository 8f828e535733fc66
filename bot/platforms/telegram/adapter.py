"""The Telegram adapter's life cycle: build the Application, poll or serve a webhook, stop.

Driven by hand (initialize/start, then our own long polling from :mod:`.polling`
or PTB's webhook server, and the matching stops) rather than ``run_polling``, which
owns and closes the event loop the rest of the bot shares.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from typing import Any, ClassVar
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, ApplicationBuilder

from bot import logs
from bot.chat.service import ChatService
from bot.config import Settings
from bot.domain.language import LANGUAGES, Language
from bot.errors import StartupError
from bot.platforms.base import Adapter, Telemetry
from bot.platforms.telegram.handlers import App, Handlers
from bot.platforms.telegram.polling import Poller, UpdateQueue
from bot.platforms.telegram.texts import described
from bot.platforms.telegram.transport import AiohttpRequest

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
TIMEOUTS = {  # seconds, as AiohttpRequest takes them
    "connect_timeout": 5.0,
    "read_timeout": 10.0,  # for getUpdates, on top of the long-poll timeout
    "write_timeout": 10.0,
    "pool_timeout": 5.0,
}
SEND_RETRIES = 3  # the rate limiter waits out a 429's retry_after this many times
CONCURRENT_UPDATES = 32
IN_HAND = 64  # updates taken from Telegram but not yet handled (see polling.py)
DRAIN_SECONDS = 6.0  # on stop, for the updates in hand; within the runtime's 8 s
SEND_CONNECTIONS = 32  # one per update handled at once
START_ATTEMPTS = 4  # getMe attempts at start-up when the network is not there yet
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def file_url(base_url: str) -> str:
    """The file-download base that belongs to a Bot API base: ``.../bot`` -> ``.../file/bot``."""
    head, sep, tail = base_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else base_url


class _TrackedRequest(AiohttpRequest):
    """A request class that reports whether the Bot API answered (for ``connected``)."""

    def __init__(self, adapter: TelegramAdapter, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._adapter = adapter

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            code, payload = await super().do_request(*args, **kwargs)
        except NetworkError:
            self._adapter.reachable(False)
            raise
        self._adapter.reachable(code < 500)
        return code, payload


def bot_commands(lang: Language) -> list[BotCommand]:
    return [BotCommand(name, text) for name, text in described(lang)]


class TelegramAdapter(Adapter):
    name: ClassVar[str] = "telegram"

    def __init__(
        self,
        chat: ChatService,
        settings: Settings,
        telemetry: Telemetry | None = None,
        *,
        poll_timeout: float = 30.0,
        send_limits: bool = True,
    ) -> None:
        """``send_limits=False`` drops the client-side limiter that keeps sends under
        Telegram's limits (about 30 messages/s): only for measuring capacity against a fake.
        """
        super().__init__(chat, settings, telemetry)
        if settings.telegram_token is None:
            raise StartupError("TELEGRAM_TOKEN is not set")
        self.poll_timeout = poll_timeout
        self._reachable = False
        self._initialized = False
        self._poller: Poller | None = None
        self._updates = UpdateQueue()
        self._requests = (
            AiohttpRequest(connections=SEND_CONNECTIONS, **TIMEOUTS),
            _TrackedRequest(self, connections=2, **TIMEOUTS),
        )
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(settings.telegram_token.get_secret_value())
            .request(self._requests[0])
            .get_updates_request(self._requests[1])
            .concurrent_updates(CONCURRENT_UPDATES)
            .update_queue(self._updates)
        )
        if not self.webhook_mode:
            builder = builder.updater(None)  # polling is ours: see polling.py
        if send_limits:
            builder = builder.rate_limiter(AIORateLimiter(max_retries=SEND_RETRIES))
        if settings.telegram_base_url:
            base = settings.telegram_base_url
            builder = builder.base_url(base).base_file_url(file_url(base))
        self.application: App = builder.build()
        self.handlers = Handlers(chat, settings.admin_ids(), settings.default_language)
        self.handlers.register(self.application)

    # -- Adapter -------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        app = self.application
        if not app.running:
            return False
        if self.webhook_mode:
            return app.updater is not None and app.updater.running
        return self._poller is not None and self._poller.running and self._reachable

    @property
    def updates_in_hand(self) -> int:
        """Updates taken from Telegram whose handlers have not finished yet."""
        return self._updates.in_hand

    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.telegram_webhook_url)

    async def start(self) -> None:
        try:
            await self._initialize()
            await self._register_commands()
            await self.application.start()
            if self.webhook_mode:
                await self._start_webhook()
            else:
                await self._start_polling()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop fetching, let handlers in flight finish, close the HTTP clients."""
        app = self.application
        steps = []
        if self._poller is not None:
            steps.append(self._stop_polling)
        if app.updater is not None and app.updater.running:
            steps.append(app.updater.stop)
        if app.running:
            steps.append(app.stop)
        if self._initialized:
            steps.append(app.shutdown)
        for step in steps:
            try:
                await step()
            except Exception:
                log.exception("Telegram adapter: %s failed during shutdown", step.__name__)
        if not self._initialized:
            for request in self._requests:
                await request.shutdown()
        self._initialized = False

    # -- start-up ------------------------------------------------------------------

    async def _initialize(self) -> None:
        """getMe, with a few retries for a network that is not up yet; never logs the token."""
        delay = 1.0
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                await self.application.initialize()
                self._initialized = True
                break
            except InvalidToken:
                # PTB's message quotes the token; say it without.
                raise StartupError(
                    "Telegram rejected TELEGRAM_TOKEN (check it with @BotFather)"
                ) from None
            except NetworkError as exc:
                if attempt == START_ATTEMPTS:
                    raise StartupError(f"cannot reach the Telegram Bot API: {exc}") from None
                log.warning("Telegram Bot API not reachable (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay *= 2
        self._reachable = True
        log.info("Telegram: logged in as @%s", self.application.bot.username)

    async def _register_commands(self) -> None:
        """The command menu in German and English, and a default for other languages."""
        bot = self.application.bot
        default = self.settings.default_language
        try:
            for lang in LANGUAGES:
                await bot.set_my_commands(bot_commands(lang), language_code=lang)
            await bot.set_my_commands(bot_commands(default))
        except TelegramError as exc:
            log.warning("Telegram: could not register the command menu: %s", exc)

    async def _start_polling(self) -> None:
        # getUpdates fails with 409 while a webhook is set; keep updates that wait.
        await self.application.bot.delete_webhook(drop_pending_updates=False)
        self._poller = Poller(
            self.application.bot,
            self._updates,
            window=IN_HAND,
            timeout=self.poll_timeout,
            allowed_updates=ALLOWED_UPDATES,
            on_error=self._polling_error,
        )
        self._poller.start()
        log.info("Telegram: long polling")

    async def _stop_polling(self) -> None:
        """Take no more updates, answer the ones in hand, then confirm them to Telegram."""
        poller, self._poller = self._poller, None
        if poller is None:
            return
        await poller.stop()
        if not await self._updates.handled(DRAIN_SECONDS):
            log.warning(
                "Telegram: %d updates still unanswered after %.0f s; stopping anyway",
                self._updates.in_hand,
                DRAIN_SECONDS,
            )
        await poller.confirm()

    async def _start_webhook(self) -> None:
        settings = self.settings
        assert self.application.updater is not None and settings.telegram_webhook_url
        configured = settings.telegram_webhook_secret
        if configured:
            secret = configured.get_secret_value()
        else:
            secret = secrets.token_urlsafe(32)
            logs.redact(secret)  # PTB logs setWebhook's parameters at DEBUG level
        if not _SECRET.match(secret):
            raise StartupError(
                "TELEGRAM_WEBHOOK_SECRET: use 1-256 characters from A-Z, a-z, 0-9, _ and -"
            )
        url = settings.telegram_webhook_url
        path = urlsplit(url).path.strip("/")
        await self.application.updater.start_webhook(
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            url_path=path,
            webhook_url=url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=3,
        )
        log.info(
            "Telegram: webhook on %s:%d/%s",
            settings.telegram_webhook_listen,
            settings.telegram_webhook_port,
            path,
        )

    # -- health --------------------------------------------------------------------

    def reachable(self, ok: bool) -> None:
        """Called after every getUpdates request; logs only the changes."""
        if ok and not self._reachable:
            log.info("Telegram Bot API reachable again")
        self._reachable = ok

    def _polling_error(self, exc: TelegramError) -> None:
        # PTB retries with back-off; one line per failure, no traceback for a known condition.
        log.warning("Telegram polling failed (%s: %s); retrying", type(exc).__name__, exc)
