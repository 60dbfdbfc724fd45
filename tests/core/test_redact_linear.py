"""Masking costs a bounded amount per character, whatever the text (a minified script, an HTML error page, a
run of one character), and error text is cut to the value bound before it is masked: a tool's exception
reaches the caller at once."""

from __future__ import annotations

import time

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import config, semconv
from agentops_otel._redact import mask_text
from agentops_otel._serialize import bounded

pytestmark = pytest.mark.slow  # each masks adversarial inputs of up to a megabyte (make test runs them)

_SMALL, _BIG = 100_000, 1_000_000
_BOUND = 2.0
"""Seconds of the calling thread's CPU time for a megabyte (linear masking takes a fraction of it). CPU time, not
the wall clock: on a shared machine under load the wall clock also counts time spent waiting for a core, which
made these bounds fail on a busy two-core machine while the masking itself was linear."""


def _repeated(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


_ADVERSARIAL = {
    "a run of closing brackets": lambda n: "error: password=" + ")" * n,
    "a run of square brackets": lambda n: "error: password=" + "]" * n,
    "calls after a secret name": lambda n: "x " + _repeated("password=g(", n),
    "variables after a secret name": lambda n: "x " + _repeated("token=${x}", n),
    "header names with variables": lambda n: _repeated("Authorization: ${x} ", n),
    "header names with masked values": lambda n: _repeated("Cookie: [REDACTED ", n),
    "header names with null": lambda n: _repeated("Cookie: null ", n),
    "minified script": lambda n: "!function(){" + _repeated("o.auth=g(e,t),n.token=r(o),", n) + "}()",
    "repeated separators": lambda n: _repeated("token:=:", n),
    "prose after secret names": lambda n: _repeated("password: is set ", n),
    "unclosed quotes": lambda n: _repeated('password="', n),
    "urls without hosts": lambda n: _repeated("a://b:c", n),
    "query parameters": lambda n: "?" + _repeated("token=a;b", n),
    "private key headers": lambda n: _repeated("-----BEGIN RSA PRIVATE KEY-----", n),
    "one long word": lambda n: "x" * n,
    "annotations with defaults": lambda n: "x " + _repeated("api_key: str = ", n),
    "arguments passed on in brackets": lambda n: "f(" + _repeated("password=pw,", n),
    "backtick-quoted values": lambda n: _repeated("password: `", n),
    "private keys cut by blank lines": lambda n: _repeated("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n\n", n),
    "token counts with digit groups": lambda n: _repeated("token: 1,000,000,", n),
    "secret-named flags before flags": lambda n: _repeated("--password --token ", n),
    "secret-named flags before words": lambda n: _repeated("--password pw.x ", n),
    "flags glued into one long name": lambda n: "--" + "a-" * (n // 2),
    "basic auth flags without passwords": lambda n: _repeated("-u a:1000 --user=b:", n),
    "basic auth flags before an unclosed quote": lambda n: _repeated('-u "a:', n),
    "basic auth flags glued after refused passwords": lambda n: "-u " + _repeated("-u=a:/", n),
    "user flags glued after variables": lambda n: _repeated("--user=a:{", n),
    "user flags glued after passwords": lambda n: _repeated("--user=a:b/", n),
    "secret-named elements never closed": lambda n: _repeated("<password>hunter2x</passwor", n),
    "elements with long attributes": lambda n: "</" + _repeated('<token a="' + "x" * 300 + '">', n),
    "a run of opening brackets": lambda n: "</" + "<" * n,
    "secret-named elements closed": lambda n: _repeated("<token>abc</token>", n),
    "glued basic auth flags": lambda n: _repeated("-ua:-Ub:1000 ", n),
    "flags before plain words": lambda n: _repeated("--password swordfish mydb ", n),
    "mysql short flags before flags": lambda n: "mysql " + _repeated("-p -p$x -p'' ", n),
    "mysql short flags as list items": lambda n: '["mysql", ' + _repeated('"-p", "-p", ', n),
    "mysql commands after one another": lambda n: _repeated("mysql -p ", n),
    "mysql quoted passwords never closed": lambda n: _repeated("mysql -p'x;", n),
    "function words glued to passwords": lambda n: _repeated("--password the_x -p a-b ", n),
    "mysql as an argument before -p": lambda n: _repeated("find /var/lib/mysql -perm -p x ", n),
    "wrapper options before a mysql client": lambda n: "sudo " + _repeated("-u a ", n) + " mysql -p x",
    "wrappers and separators before mysql": lambda n: _repeated("sudo env time mysql -p x; ", n),
    "quotes opening mysql commands": lambda n: _repeated("'mysql -p 'x ", n),
    "kubectl exec without its --": lambda n: "mysql -p " + _repeated("kubectl exec -c a ", n),
    "cdata sections never closed": lambda n: _repeated("<password><![CDATA[", n),
    "redis-cli password flags": lambda n: _repeated("redis-cli -a x ", n),
    "ldap clients glued to their flags": lambda n: _repeated("ldapsearch -wldapsearch -w", n),
    "cdata sections holding variables": lambda n: _repeated("<password><![CDATA[${X}</password>", n),
    "pass before plain words": lambda n: _repeated("Pass: ok first pass: parse ", n),
    "secret-named key attributes in one tag": lambda n: "<add value= " + _repeated(' key="ApiKey"', n) + ">",
    "secret-named key attributes in unclosed tags": lambda n: _repeated('<add key="ApiKey" value="x" ', n),
    "secret-named key attributes before values": lambda n: _repeated('<add key="ApiKey" value="$X"/>', n),
    "secret-named subscripts assigned": lambda n: _repeated("x['token'] = ", n),
    "env setters before calls": lambda n: _repeated('putenv("token", f(', n),
    "env setters never closed": lambda n: _repeated('setenv("token", "', n),
    "continued lines before a mysql client": lambda n: "sudo " + _repeated("\\\n", n) + " mysql -p x",
    "continued lines of short flags": lambda n: "mysql " + _repeated("-p \\\n", n),
    "ampersands glued in a secret-named value": lambda n: "password=" + _repeated("a&", n),
    "secret-named values before ampersands": lambda n: _repeated("password=x&", n),
    "ampersands glued after a mysql password": lambda n: "mysql -pa" + _repeated("&a", n),
    "connection string fields with ampersands": lambda n: _repeated("a;token=b&c", n),
    "html entities after a secret-named value": lambda n: "token=" + _repeated("&amp;", n),
    "ampersands glued in a config commands value": lambda n: "aws configure set a_token " + _repeated("x&", n),
    "htpasswd commands one after another": lambda n: _repeated("htpasswd -b;", n),
    "htpasswd options taking values": lambda n: "htpasswd " + _repeated("-C ", n),
    "config command options taking values": lambda n: "git config " + _repeated("--file ", n),
    "scp remotes with many at signs": lambda n: "scp " + _repeated("a:b@c@", n),
    "scp commands in brackets": lambda n: _repeated("(scp a ", n),
    "proxy names glued into one word": lambda n: _repeated("proxy=a:", n),
    "proxy values with at signs and dots": lambda n: "proxy=a:" + _repeated("@a.", n),
    "proxy flags before passwords": lambda n: _repeated("--proxy a:b@c@", n),
    "dsn anchors one after another": lambda n: _repeated("a:b@tcp(", n),
    "dsn anchors after long words": lambda n: _repeated("x" * 400 + "@tcp(", n),
    "dsns one after another with addresses": lambda n: _repeated("a:b@tcp(c:1)/d,", n),
    "rsync update flags one after another": lambda n: _repeated("rsync -u a:b ", n),
    "update flags before an rsync command": lambda n: _repeated("-u a:b ", n) + "; rsync x",
    "npm proxy settings one after another": lambda n: _repeated("npm config set proxy a:b@c;", n),
    "dsn fields before refused passwords": lambda n: _repeated("x:" + ",a:/" * 80 + "@tcp(", n),
    "gh secret body flags one after another": lambda n: "gh secret set X " + _repeated("-b -b$X --body= ", n),
    "curl proxy flags one after another": lambda n: "curl " + _repeated("-x a:b@c@ -xa:", n),
    "login options taking values": lambda n: "cargo login " + _repeated("--registry ", n),
    "poetry credential keys one after another": lambda n: _repeated("poetry config http-basic.a b;", n),
    "kubectl subcommands one after another": lambda n: _repeated("kubectl config set a.token ", n),
    "htpasswd list literals one after another": lambda n: _repeated('["htpasswd", "-b", "f", "u", "p"] ', n),
    "a list literal never closed": lambda n: '["htpasswd", ' + _repeated('"-b", ', n),
    "escaped quotes in a list literal's item": lambda n: '["-p", "' + _repeated('\\"', n) + '"]',
    "list literals opened in a quoted item": lambda n: '["-", ' + _repeated("['a ", n),
    "list literals nested": lambda n: _repeated('["-p", [', n),
    "escaped quotes three levels deep": lambda n: _repeated('\\\\\\\\\\\\\\"', n),
    "escaped passwords of mysql commands": lambda n: _repeated('mysql -p\\"x\\" ', n),
    "escaped proxy settings": lambda n: _repeated('HTTPS_PROXY=\\"a:b@c:1\\" ', n),
    "escaped list literals": lambda n: _repeated('[\\"htpasswd\\", \\"-b\\", \\"f\\", \\"u\\", \\"p\\"] ', n),
    "exported token variables one after another": lambda n: "export " + _repeated("TOKEN=1 ", n),
    "token variables before commands": lambda n: _repeated("TOKEN=1 a ", n),
    "csh setenv commands one after another": lambda n: _repeated("setenv TOKEN 1;", n),
    "yaml blocks one after another": lambda n: _repeated("password: |\n  x\n", n),
    "yaml block indicators before blank lines": lambda n: _repeated("token: |-\n\n\n\n", n),
    "a yaml block never ending": lambda n: "private_key: >\n" + _repeated("  token: |\n", n),
    "yaml tags before no block": lambda n: _repeated("password: !" + "t" * 200 + " &a ", n),
}


_ADVERSARIAL_LISTS = {
    "mysql short flags as items": lambda n: ["mysql"] + ["-p"] * (n // 3),
    "mysql passwords as items": lambda n: ["mysql"] + ["-p", "pw x;y"] * (n // 12),
    "basic auth passwords as items": lambda n: ["curl"] + ["-u", "a:b c"] * (n // 9),
    "glued values with spaces as items": lambda n: ["-ua:b c"] * (n // 8),
    "one script item of mysql passwords": lambda n: ["sh", "-c", "mysql " + _repeated("-p a ", n)],
    "wrapper items before a mysql client": lambda n: ["sudo"] + ["-u", "a"] * (n // 5) + ["mysql", "-p", "x"],
    "mysql as an argument item": lambda n: ["find"] + ["/var/lib/mysql", "-p", "x"] * (n // 20),
    "one script item of flags": lambda n: ["sh", "-c", _repeated("--password pw.x ", n)],
    "scp remotes as items": lambda n: ["scp"] + ["a:b@c:/x"] * (n // 9),
    "htpasswd passwords with ampersands as items": lambda n: ["htpasswd", "-b"] + ["a&b"] * (n // 4),
    "curl proxy flags as items": lambda n: ["curl"] + ["-x", "a:b@c:1"] * (n // 10),
}


@pytest.mark.parametrize("make", list(_ADVERSARIAL_LISTS.values()), ids=list(_ADVERSARIAL_LISTS))
def test_masking_an_adversarial_argument_list_grows_linearly(make: object) -> None:
    """A megabyte of list items read as one command line is masked well under the bound, linearly."""
    assert callable(make)

    def seconds(items: list[str], runs: int = 1) -> float:
        best = float("inf")
        for _ in range(runs):
            started = time.thread_time()
            bounded(items, 4 * _BIG)
            best = min(best, time.thread_time() - started)
        return best

    small = seconds(make(_SMALL), runs=3)
    assert small < _BOUND / 4, f"100 kB took {small:.2f}s"
    big = seconds(make(_BIG))
    assert big < 2 * _BOUND, f"1 MB took {big:.2f}s"
    assert big < 40 * small + 0.2, f"1 MB took {big:.3f}s, 100 kB {small:.4f}s: not linear"


def _seconds(text: str, runs: int = 1) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.thread_time()
        mask_text(text)
        best = min(best, time.thread_time() - started)
    return best


@pytest.mark.parametrize("make", list(_ADVERSARIAL.values()), ids=list(_ADVERSARIAL))
def test_masking_adversarial_text_grows_linearly(make: object) -> None:
    """A megabyte of text built to make a scan go back over what it read is masked well under the bound, in
    about ten times what a tenth of it takes (a quadratic scan takes a hundred times)."""
    assert callable(make)
    small = _seconds(make(_SMALL), runs=3)
    assert small < _BOUND / 4, f"100 kB took {small:.2f}s"
    big = _seconds(make(_BIG))
    assert big < _BOUND, f"1 MB took {big:.2f}s"
    assert big < 40 * small + 0.2, f"1 MB took {big:.3f}s, 100 kB {small:.4f}s: not linear"


def test_a_tool_raising_a_huge_message_without_spaces_returns_to_the_caller_at_once(
        span_exporter: InMemorySpanExporter) -> None:
    """A tool's 1 MB error text in one line (a minified script, a proxy's HTML page) is cut to the value bound
    before masking: the exception reaches the caller promptly, message and stack trace bounded and marked."""
    body = "!function(){" + _repeated("o.auth=g(e,t),n.token=r(o),", _BIG) + "}()"

    @agentops.tool
    def fetch_page(url: str) -> str:
        raise RuntimeError("page script failed: " + body)

    with agentops.session("s"):
        started = time.thread_time()
        with pytest.raises(RuntimeError) as raised:
            fetch_page("https://example.com")
        elapsed = time.thread_time() - started
    assert elapsed < _BOUND
    assert str(raised.value).endswith(body)  # the user's exception is untouched
    limit = config.max_value_chars()
    (span,) = [s for s in span_exporter.get_finished_spans() if s.name == "execute_tool fetch_page"]
    (event,) = [e for e in span.events if e.name == semconv.EVENT_EXCEPTION]
    message = str((event.attributes or {})[semconv.EXCEPTION_MESSAGE])
    trace = str((event.attributes or {})[semconv.EXCEPTION_STACKTRACE])
    assert message.startswith("page script failed: !function(){o.auth=")
    assert message.endswith(f"…[truncated {len(str(raised.value)) - limit} chars]")
    assert len(message) < limit + 64
    assert len(trace) < limit + 64 and "fetch_page" in trace and "RuntimeError: page script failed" in trace
    assert len(span.status.description or "") < limit + 64


def test_a_sessions_end_reason_from_a_huge_exception_is_cut_before_masking(
        span_exporter: InMemorySpanExporter) -> None:
    """An exception leaving a session with a 1 MB message ends it promptly, its end reason cut to the bound."""
    started = time.thread_time()
    with pytest.raises(ValueError), agentops.session("s"):
        raise ValueError("error: password=" + ")" * _BIG)
    assert time.thread_time() - started < _BOUND
    (root,) = [s for s in span_exporter.get_finished_spans() if s.name.startswith("invoke_agent")]
    reason = str((root.attributes or {})[semconv.SESSION_END_REASON])
    assert reason.startswith("ValueError: error: password=") and reason.endswith(" chars]")
    assert len(reason) < config.max_value_chars() + 64
