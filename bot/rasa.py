"""Rasa's own command line with one change: `python -m bot.rasa run ...` is `rasa run ...`
(with the Rasa runtime's Python, .venv-rasa; `bot.runtime.start_rasa` starts the server this
way, and its command line still reads `rasa run --port ...`).

Why: Rasa 3.6 checks every action server response with `jsonschema.validate(response, spec)`
(`RemoteAction._validate_action_result`), and that call first checks the fixed `spec` itself
against the draft 2020-12 metaschema, on every call: a third of Rasa's CPU under `make
bench-load` (py-spy). With the validator built once, Rasa takes about 26 ms of CPU a turn
instead of about 52 (docs/production/throughput-rasa.md). Known upstream: RasaHQ/rasa#11717
(Rasa 3.2 and 3.3 answering 70-80 % slower than 3.1; worked around there by downgrading
jsonschema to 3.2.0) and python-jsonschema/jsonschema#853. Each response is still checked as
`jsonschema.validate` checks it, against Rasa's own schema (the best-matching error), and fails
with Rasa's own message. Rasa checks responses on its event loop, one at a time, so one
validator serves them all.
"""

from __future__ import annotations

import sys
from typing import Any


def validate_with_one_validator() -> None:
    """Rasa's action response check, with the validator built once instead of on every call."""
    from jsonschema import validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions import action

    spec = action.RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(spec)
    validator_class.check_schema(spec)
    validator = validator_class(spec)

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{action.DOCS_BASE_URL}/custom-actions"
        )
        raise error

    action.RemoteAction._validate_action_result = _validate_action_result


def main() -> None:
    from rasa.__main__ import main as rasa_main

    validate_with_one_validator()
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
