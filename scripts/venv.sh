# Sourced by scripts/start, test and bench: create (once) and activate the
# virtual environment, and install the bot (editable, so code changes need no
# reinstall) with the given extra, its dependencies at the versions in
# requirements.lock. pip runs only when the extra, pyproject.toml or the lock
# changed since the last install, so a complete .venv starts at once and offline.
# Usage: . scripts/venv.sh EXTRA     (PYTHON and VENV may be set)
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
_stamp="$VENV/.installed-$1"
_want=$({ echo "$1"; cat pyproject.toml requirements.lock; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$_stamp" 2>/dev/null)" != "$_want" ]; then
  python -m pip install --quiet --disable-pip-version-check --upgrade pip
  python -m pip install --quiet --disable-pip-version-check -e ".[$1]" -c requirements.lock
  echo "$_want" > "$_stamp"
fi
unset _stamp _want
