"""Zoho's error bodies, in one place so every path answers with the same words."""

from __future__ import annotations

from typing import Any

Answer = tuple[int, dict[str, Any]]

MINUTE_LIMIT_MESSAGE = (
    "For security reasons your organization has been blocked as it have exceeded the maximum "
    "number of requests per minute that can originate from an organization.")
CONCURRENCY_MESSAGE = ("You have reached the maximum number of in process requests allowed. "
                       "Kindly try again after some time.")
TOKEN_THROTTLE = {
    "error_description": "You have made too many requests continuously. "
                         "Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


def error(status: int, code: int, message: str) -> Answer:
    return status, {"code": code, "message": message}


def not_found(label: str) -> Answer:
    return error(404, 1002, f"{label} does not exist.")


def bad_param(param: str) -> Answer:
    return error(400, 2, f"Invalid value passed for {param}")


def invalid_url() -> Answer:
    return error(404, 5, "Invalid URL Passed")


def unknown_org(org_id: str) -> Answer:
    return error(400, 6041, f"This user is not associated with the CompanyID/CompanyName:{org_id}.")


def missing_token() -> Answer:
    return error(401, 14, "Invalid OAuth token.")


def invalid_token() -> Answer:
    return error(401, 57, "You are not authorized to perform this operation")


def minute_limit() -> Answer:
    return error(429, 44, MINUTE_LIMIT_MESSAGE)


def daily_limit(limit: int) -> Answer:
    return error(429, 45, "The API call for this organization has exceeded the maximum call "
                          f"rate limit of {limit}.")


def concurrency_limit() -> Answer:
    return error(429, 1070, CONCURRENCY_MESSAGE)


class ParamError(Exception):
    """A query parameter Zoho would reject with code 2."""

    def __init__(self, param: str) -> None:
        super().__init__(param)
        self.param = param
