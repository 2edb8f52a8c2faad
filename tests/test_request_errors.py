"""Failed outbound requests described as Kibana's (Node) connectors report them."""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime, timedelta

import requests
from requests.structures import CaseInsensitiveDict

from actions_core import describe_request_error, is_timeout, is_tls_error, retry_after

NOW = 1_700_000_000.0
BASE = datetime.fromtimestamp(NOW, UTC)


def test_retry_after_reads_seconds_milliseconds_and_dates():
    assert retry_after({"retry-after": "2"}, NOW) == BASE + timedelta(seconds=2)
    assert retry_after({"retry-after-ms": "1500", "retry-after": "9"}, NOW) == BASE + timedelta(
        milliseconds=1500
    )
    date = "Wed, 15 Nov 2023 00:00:00 GMT"
    assert retry_after({"retry-after": date}, NOW) == datetime(2023, 11, 15, tzinfo=UTC)


def test_retry_after_never_lies_in_the_past_and_ignores_nonsense():
    assert retry_after({"retry-after": "-5"}, NOW) == BASE
    assert retry_after({"retry-after": "Mon, 01 Jan 1990 00:00:00 GMT"}, NOW) == BASE
    assert retry_after({"retry-after": "soon"}, NOW) is None
    assert retry_after({"retry-after-ms": "x"}, NOW) is None
    assert retry_after({}, NOW) is None


def test_retry_after_works_with_requests_headers_in_any_case():
    headers = CaseInsensitiveDict({"Retry-After": "3"})
    assert retry_after(headers, NOW) == BASE + timedelta(seconds=3)


def test_timeouts_are_reported_as_axios_does():
    err = requests.ReadTimeout("read timed out")
    assert is_timeout(err)
    assert describe_request_error(err, "https://h/x", 1.5) == (
        "ECONNABORTED",
        "timeout of 1500ms exceeded",
    )


def test_refused_and_reset_connections_get_node_codes():
    refused = requests.ConnectionError(ConnectionRefusedError(111, "refused"))
    assert not is_timeout(refused)
    assert describe_request_error(refused, "http://127.0.0.1:9/x", 60) == (
        "ECONNREFUSED",
        "connect ECONNREFUSED 127.0.0.1:9",
    )
    reset = requests.ConnectionError(ConnectionResetError(104, "reset"))
    assert describe_request_error(reset, "https://h/", 60) == ("ECONNRESET", "socket hang up")
    unknown = requests.ConnectionError(socket.gaierror(-2, "Name or service not known"))
    assert describe_request_error(unknown, "https://nowhere.invalid/", 60) == (
        "ENOTFOUND",
        "getaddrinfo ENOTFOUND nowhere.invalid",
    )


def test_certificate_failures_get_openssl_names_and_count_as_tls_errors():
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cause.verify_code = 20
    cause.verify_message = "unable to get local issuer certificate"
    err = requests.exceptions.SSLError(cause)
    assert is_tls_error(err)
    assert describe_request_error(err, "https://h/", 60) == (
        "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
        "unable to get local issuer certificate",
    )
    mismatch = ssl.SSLCertVerificationError(1, "certificate verify failed")
    mismatch.verify_code = 62
    mismatch.verify_message = "Hostname mismatch"
    code, message = describe_request_error(requests.exceptions.SSLError(mismatch), "https://h", 1)
    assert code == "ERR_TLS_CERT_ALTNAME_INVALID"
    assert message.startswith("Hostname/IP does not match certificate's altnames")


def test_other_errors_keep_their_text():
    assert describe_request_error(RuntimeError("odd"), "https://h", 1) == ("", "odd")
    assert not is_tls_error(RuntimeError("odd"))
