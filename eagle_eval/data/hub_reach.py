"""Whether the Hugging Face hub answers: asked once per process, with one short, bounded request.

huggingface_hub and datasets retry an endpoint that does not answer, with back-off, for every file
and every split. With the hub unreachable and nothing cached, `eagle-eval run --model eagle-x5-7b
--tasks textvqa,pope` took 97 s to say the data was missing when the endpoint refused connections,
and over 5 minutes when it accepted them and never answered. One HEAD request to the endpoint the
libraries use (`HF_ENDPOINT`, default https://huggingface.co), waited on for at most
`PROBE_TIMEOUT_S` in all (the name lookup included: the request runs in a thread the caller stops
waiting for), tells the data layer at once whether to ask the hub at all (eagle_eval.data).

With `HF_HUB_OFFLINE` set nothing is sent: the hub counts as unreachable, as the libraries treat it.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cache

PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class HubReach:
    """The answer of the probe: the endpoint asked, whether it answered, and if not, why."""

    endpoint: str
    reachable: bool
    reason: str = ""
    offline: bool = False  # HF_HUB_OFFLINE: not asked at all

    def problem(self) -> str:
        """'the hub at URL cannot be reached (why)', for messages."""
        if self.offline:
            return f"HF_HUB_OFFLINE is set, so the hub at {self.endpoint} is not asked"
        return f"the hub at {self.endpoint} cannot be reached ({self.reason})"


def hub_reach() -> HubReach:
    """Whether the hub answers; probed on the first call for each endpoint, remembered after."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return HubReach(constants.ENDPOINT, False, "HF_HUB_OFFLINE is set", offline=True)
    return probe(constants.ENDPOINT, PROBE_TIMEOUT_S)


@cache
def probe(endpoint: str, timeout_s: float) -> HubReach:
    """One HEAD request to `endpoint`, given up on after `timeout_s`. Any HTTP answer below 500 counts as
    reachable (a mirror may answer 404 at its root); a refused connection, a failed name lookup, a TLS
    error, a server error or silence do not."""
    answer: list[HubReach] = []

    def ask() -> None:
        try:
            request = urllib.request.Request(endpoint, method="HEAD")
            with urllib.request.urlopen(request, timeout=timeout_s):
                answer.append(HubReach(endpoint, True))
        except urllib.error.HTTPError as error:
            reachable = error.code < 500
            answer.append(HubReach(endpoint, reachable, "" if reachable else f"HTTP {error.code}"))
        except urllib.error.URLError as error:
            answer.append(HubReach(endpoint, False, _reason(error.reason, timeout_s)))
        except (OSError, ValueError) as error:  # a timeout while reading, a malformed HF_ENDPOINT
            answer.append(HubReach(endpoint, False, _reason(error, timeout_s)))

    asking = threading.Thread(target=ask, name="eagle-eval hub probe", daemon=True)
    asking.start()
    asking.join(timeout_s)
    return answer[0] if answer else HubReach(endpoint, False, f"no answer within {timeout_s:g} s")


def _reason(error: object, timeout_s: float) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout_s:g} s"
    text = getattr(error, "strerror", None) or str(error)
    return text[:1].lower() + text[1:] if text else type(error).__name__
