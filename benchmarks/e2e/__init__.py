"""End-to-end load benchmark: the real adapters against the fake Telegram Bot API and Discord.

Run:  python -m benchmarks.e2e [--seconds N] [--runs R] [--write docs/performance-e2e.md]
      (from the repository root)

The bot runs in its own process, like in production (one core for the bot, one for
the platform side); this process plays the platform: the fake servers from
``tests/fakes`` and the users who ask. Measured, in each of ``--runs`` rounds:

  * Telegram: chats sending questions concurrently (closed loop: each chat asks its next
    question as soon as it has its answer) for ``--seconds``, then a fixed 100 questions/s.
    Updates go out through getUpdates; the time from the fake answering the poll that
    delivers a question to the fake receiving the sendMessage with its answer is the
    latency. The client-side send limiter (30 messages/s, Telegram's own limit) is off.
  * Discord: the same through the gateway (MESSAGE_CREATE mentioning the bot, one text
    channel per asker) and REST (the reply, matched by ``message_reference``).
  * Baselines: the same libraries, HTTP clients and fakes with an echo handler (no
    engine, no storage, no rendering), so the bot's own cost shows as a ratio; and the
    engine alone (CPU ms per question, warm).
  * Both adapters in one process sharing one engine and one database: both saturated,
    then both at the fixed rate at once; peak RSS (VmHWM), RSS growth and objects kept
    per answer, and the longest garbage-collector pause while under load. Also the
    peak RSS of ``python -m bot run`` with both adapters, at ready.
  * Start-up: ``python -m bot ask`` (median of 5) against a bare interpreter, and
    ``python -m bot run`` until its "bot ready" log line against the fake Telegram.

Figures are medians over the rounds. The bot's CPU time per answer (from
``/proc/<pid>/stat``) is reported too: unlike answers/s it hardly depends on what
else the machine is doing. ``--profile DIR`` writes cProfile stats of the bot
processes' steady state there; ``--gc-freeze`` tries ``gc.freeze()`` after start-up.
The bot's flood gate runs with limits no asker reaches; errors count HTTP errors at the
fakes, replies that are the bot's error notice, and replies nobody waited for.

The parts: :mod:`.bot_side` (the child process that runs the bot or an echo baseline,
and the handle that drives it), :mod:`.load` (the fakes with askers, and the load
phases), :mod:`.rounds` (one round: each platform, both at once, start-up),
:mod:`.report` (the tables, and writing them into the docs), :mod:`.processes` (the
children's environment and /proc readings) and :mod:`.__main__` (options and the run).
"""
