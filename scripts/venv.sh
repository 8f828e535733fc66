# Sourced by scripts/start, test and bench: create (once) and activate the
# virtual environment, then install the bot with the given extra, with the
# runtime dependencies at the versions in requirements.lock.
# Usage: . scripts/venv.sh EXTRA     (PYTHON and VENV may be set)
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
python -m pip install --quiet --disable-pip-version-check --upgrade pip
python -m pip install --quiet --disable-pip-version-check ${2:-} ".[$1]" -c requirements.lock
