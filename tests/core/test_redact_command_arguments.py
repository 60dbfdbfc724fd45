"""A secret a command takes as a plain argument, where only the program says what the argument is: htpasswd's
password after ``-b``, the value a config tool sets under a secret-named key (``aws configure set
aws_secret_access_key X``), and the password of an scp or rsync remote written ``user:password@host:path``."""

from __future__ import annotations

import json

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv


def _recorded(exporter: InMemorySpanExporter, given: str | list[str]) -> str | list[str]:
    """What a tool called with ``given`` (a command's text or its argument list) recorded for it."""
    @agentops.tool
    def run(command: str | list[str]) -> str:
        return "ok"

    run(given)
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "execute_tool run"]
    recorded: str | list[str] = json.loads(str((span.attributes or {})[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]))["command"]
    return recorded


@pytest.mark.parametrize(("given", "masked"), [
    ("htpasswd -b .htpasswd admin Xk9mQ2vLr8", "htpasswd -b .htpasswd admin [REDACTED]"),
    ("htpasswd -bc /etc/nginx/.htpasswd admin Xk9mQ2vLr8", "htpasswd -bc /etc/nginx/.htpasswd admin [REDACTED]"),
    ("sudo htpasswd -Bb -C 12 f admin 'Xk9 mQ2vLr8'", "sudo htpasswd -Bb -C 12 f admin '[REDACTED]'"),
    ("htpasswd -nb admin Xk9mQ2vLr8 > users", "htpasswd -nb admin [REDACTED] > users"),
    ("htpasswd -b f admin Tr0ub4dor&3", "htpasswd -b f admin [REDACTED]"),
    (["htpasswd", "-b", "f", "admin", "Xk9mQ2vLr8"], ["htpasswd", "-b", "f", "admin", "[REDACTED]"]),
])
def test_htpasswds_batch_password_is_masked(span_exporter: InMemorySpanExporter, given: str | list[str],
                                            masked: str | list[str]) -> None:
    """With ``-b`` (alone or among other letters) htpasswd's last argument, after the file and the user, is masked."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("aws configure set aws_secret_access_key Xk9mQ2vLr8", "aws configure set aws_secret_access_key [REDACTED]"),
    ("aws configure set default.aws_session_token Xk9mQ2vLr8 --profile prod",
     "aws configure set default.aws_session_token [REDACTED] --profile prod"),
    ("git config --global github.token Xk9mQ2vLr8", "git config --global github.token [REDACTED]"),
    ("npm config set //registry.npmjs.org/:_authToken Xk9mQ2vLr8",
     "npm config set //registry.npmjs.org/:_authToken [REDACTED]"),
    ('yarn config set npmAuthToken "Xk9mQ2vLr8"', 'yarn config set npmAuthToken "[REDACTED]"'),
    ("pip config set global.password Xk9mQ2vLr8", "pip config set global.password [REDACTED]"),
    ('dotnet user-secrets set "Db:Password" Xk9mQ2vLr8', 'dotnet user-secrets set "Db:Password" [REDACTED]'),
    (["git", "config", "--global", "github.token", "Xk9mQ2vLr8"],
     ["git", "config", "--global", "github.token", "[REDACTED]"]),
    (["aws", "configure", "set", "aws_secret_access_key", "Xk9mQ2vLr8"],
     ["aws", "configure", "set", "aws_secret_access_key", "[REDACTED]"]),
    ("git -C /srv/app config github.token Xk9mQ2vLr8", "git -C /srv/app config github.token [REDACTED]"),
    ("git --git-dir /srv/app/.git config github.token Xk9mQ2vLr8",
     "git --git-dir /srv/app/.git config github.token [REDACTED]"),
    (["git", "-C", "/srv/app", "config", "github.token", "Xk9mQ2vLr8"],
     ["git", "-C", "/srv/app", "config", "github.token", "[REDACTED]"]),
])
def test_a_config_tools_value_under_a_secret_named_key_is_masked(span_exporter: InMemorySpanExporter,
                                                                 given: str | list[str],
                                                                 masked: str | list[str]) -> None:
    """A config tool setting a secret-named key (``aws configure set``, ``git config``, ``npm``/``yarn``/``pip config
    set``, ``dotnet user-secrets set``) has the value after the key masked."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("npm config set proxy bob:Xk9mQ2vLr8@proxy:3128", "npm config set proxy bob:[REDACTED]@proxy:3128"),
    ("npm config set https-proxy bob:Xk9mQ2vLr8@proxy:3128", "npm config set https-proxy bob:[REDACTED]@proxy:3128"),
    ("yarn config set httpsProxy bob:Xk9mQ2vLr8@proxy:3128", "yarn config set httpsProxy bob:[REDACTED]@proxy:3128"),
    ('pnpm config set proxy "bob:Xk9mQ2vLr8@proxy:3128" && pnpm i',
     'pnpm config set proxy "bob:[REDACTED]@proxy:3128" && pnpm i'),
    (["npm", "config", "set", "proxy", "bob:Xk9mQ2vLr8@proxy:3128"],
     ["npm", "config", "set", "proxy", "bob:[REDACTED]@proxy:3128"]),
])
def test_a_config_tools_proxy_keys_password_is_masked(span_exporter: InMemorySpanExporter, given: str | list[str],
                                                      masked: str | list[str]) -> None:
    """A config tool setting a proxy-named key to ``user:password@host`` has the password masked, user and host kept."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("scp f bob:Xk9mQ2vLr8@host:/tmp", "scp f bob:[REDACTED]@host:/tmp"),
    ("rsync -a d bob:Xk9mQ2vLr8@host:/d", "rsync -a d bob:[REDACTED]@host:/d"),
    ("rsync -e ssh bob:a-Str0ng-P@ss@host:/srv/ ./srv", "rsync -e ssh bob:[REDACTED]@host:/srv/ ./srv"),
    ("cd /srv && scp -P 2222 bob:on#Fire99@10.0.0.5:/backup/x.tgz .",
     "cd /srv && scp -P 2222 bob:[REDACTED]@10.0.0.5:/backup/x.tgz ."),
    (["scp", "f", "bob:Xk9mQ2vLr8@host:/tmp"], ["scp", "f", "bob:[REDACTED]@host:/tmp"]),
])
def test_an_scp_or_rsync_remotes_password_is_masked(span_exporter: InMemorySpanExporter, given: str | list[str],
                                                     masked: str | list[str]) -> None:
    """An scp or rsync argument ``user:password@host:path`` keeps the user, the host and the path, not the password."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize("given", [
    "htpasswd -c .htpasswd admin", "htpasswd -D .htpasswd admin", "htpasswd -b .htpasswd admin \"$ADMIN_PASSWORD\"",
    "htpasswd -B .htpasswd admin", "the htpasswd -b flag takes the password last", "htpasswd -b f admin",
    "git config --global user.name bob", "git config --get github.token", "git config --global --unset github.token",
    "aws configure set region eu-west-1", "aws configure get aws_secret_access_key",
    "aws configure set aws_secret_access_key $AWS_SECRET_ACCESS_KEY", "npm config get //registry.npmjs.org/:_authToken",
    "echo config set password later", "git config --global github.token",
    "npm config set proxy proxy.corp:3128", "npm config get proxy", "yarn config set httpsProxy $HTTPS_PROXY",
    "echo set proxy bob:Xk9mQ2vLr8@host", "scp bob@host:/tmp/f .", "scp ./a:b@c:d host:/x",
    "rsync -av alice@host:/srv/ .",
    "echo bob:Xk9mQ2vLr8@host:/tmp", "mail from:alice2@gmail.com via scp", "scp f bob:$PASS@host:/tmp",
    ["scp", "bob@host:/tmp/f", "."], ["git", "config", "--global", "user.email", "bob@corp.com"],
])
def test_other_arguments_of_those_commands_and_other_commands_are_kept(span_exporter: InMemorySpanExporter,
                                                                     given: str | list[str]) -> None:
    """Without ``-b``, a key that names no secret, a read of a key, a variable, a remote with no password, and the same
    shapes after another program hold no secret."""
    assert _recorded(span_exporter, given) == given


def test_an_scp_password_in_a_tools_result_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """A tool returning the command it ran records the remote's password masked."""
    @agentops.tool
    def deploy() -> str:
        return "ran: scp build.tgz deploy:Xk9mQ2vLr8@web1:/srv"

    deploy()
    (span,) = [s for s in span_exporter.get_finished_spans() if s.name == "execute_tool deploy"]
    assert json.loads(str((span.attributes or {})[semconv.GEN_AI_TOOL_CALL_RESULT])) == (
        "ran: scp build.tgz deploy:[REDACTED]@web1:/srv")


@pytest.mark.parametrize(("given", "masked"), [
    ("poetry config http-basic.myrepo alice Xk9mQ2vLr8", "poetry config http-basic.myrepo alice [REDACTED]"),
    ("poetry config pypi-token.pypi Xk9mQ2vLr8", "poetry config pypi-token.pypi [REDACTED]"),
    ("poetry config --local http-basic.corp alice 'Xk9 mQ2vLr8'",
     "poetry config --local http-basic.corp alice '[REDACTED]'"),
    (["poetry", "config", "http-basic.myrepo", "alice", "Xk9mQ2vLr8"],
     ["poetry", "config", "http-basic.myrepo", "alice", "[REDACTED]"]),
])
def test_poetrys_repository_password_and_token_are_masked(span_exporter: InMemorySpanExporter,
                                                          given: str | list[str], masked: str | list[str]) -> None:
    """Poetry's ``config http-basic.REPO USER PASSWORD`` masks the password, ``pypi-token.REPO TOKEN`` the token."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("kubectl config set users.dev.token Xk9mQ2vLr8", "kubectl config set users.dev.token [REDACTED]"),
    ("oc config set users.dev.password Xk9mQ2vLr8", "oc config set users.dev.password [REDACTED]"),
    ("kubectl --kubeconfig ~/.kube/dev config set users.dev.token Xk9mQ2vLr8",
     "kubectl --kubeconfig ~/.kube/dev config set users.dev.token [REDACTED]"),
    (["kubectl", "config", "set", "users.dev.token", "Xk9mQ2vLr8"],
     ["kubectl", "config", "set", "users.dev.token", "[REDACTED]"]),
])
def test_kubectls_config_set_of_a_secret_named_property_is_masked(span_exporter: InMemorySpanExporter,
                                                                  given: str | list[str],
                                                                  masked: str | list[str]) -> None:
    """``kubectl config set`` (and ``oc``'s) of a secret-named property has the value masked."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("cargo login Xk9mQ2vLr8", "cargo login [REDACTED]"),
    ("cargo login --registry corp Xk9mQ2vLr8", "cargo login --registry corp [REDACTED]"),
    ("wandb login --relogin Xk9mQ2vLr8", "wandb login --relogin [REDACTED]"),
    (["cargo", "login", "Xk9mQ2vLr8"], ["cargo", "login", "[REDACTED]"]),
])
def test_a_logins_token_given_as_its_argument_is_masked(span_exporter: InMemorySpanExporter, given: str | list[str],
                                                        masked: str | list[str]) -> None:
    """``cargo login TOKEN`` and ``wandb login KEY`` have the token masked, their options kept."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("cargo --locked login Xk9mQ2vLr8", "cargo --locked login [REDACTED]"),
    ("cargo -Z registry-auth login Xk9mQ2vLr8", "cargo -Z registry-auth login [REDACTED]"),
    ("cargo +nightly --config net.retry=2 login Xk9mQ2vLr8", "cargo +nightly --config net.retry=2 login [REDACTED]"),
    (["cargo", "-Z", "registry-auth", "login", "Xk9mQ2vLr8"], ["cargo", "-Z", "registry-auth", "login", "[REDACTED]"]),
])
def test_a_logins_token_after_the_programs_own_options_is_masked(span_exporter: InMemorySpanExporter,
                                                                 given: str | list[str],
                                                                 masked: str | list[str]) -> None:
    """cargo's own options before ``login`` (``--locked``, ``-Z FLAG``, ``--config KV``): the token is still masked."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("gh secret set API_KEY --body Xk9mQ2vLr8", "gh secret set API_KEY --body [REDACTED]"),
    ("gh secret set API_KEY -b Xk9mQ2vLr8 --repo org/app", "gh secret set API_KEY -b [REDACTED] --repo org/app"),
    ("gh secret set API_KEY --body=Xk9mQ2vLr8", "gh secret set API_KEY --body=[REDACTED]"),
    ('gh secret set API_KEY -b"Xk9 mQ2vLr8"', 'gh secret set API_KEY -b"[REDACTED]"'),
    (["gh", "secret", "set", "API_KEY", "--body", "Xk9mQ2vLr8"],
     ["gh", "secret", "set", "API_KEY", "--body", "[REDACTED]"]),
])
def test_a_github_secrets_body_is_masked(span_exporter: InMemorySpanExporter, given: str | list[str],
                                         masked: str | list[str]) -> None:
    """``gh secret set NAME --body X`` (``-b X``, ``--body=X``, ``-bX``) has the secret's value masked."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("setenv API_KEY Xk9mQ2vLr8", "setenv API_KEY [REDACTED]"),
    ("setenv TOKEN 48213377", "setenv TOKEN [REDACTED]"),
    ("% setenv GITHUB_TOKEN 48213377; ./deploy.csh", "% setenv GITHUB_TOKEN [REDACTED]; ./deploy.csh"),
    ('cd app && setenv DB_PASSWORD "Xk9 mQ2vLr8"', 'cd app && setenv DB_PASSWORD "[REDACTED]"'),
])
def test_a_csh_setenv_of_a_secret_named_variable_is_masked(span_exporter: InMemorySpanExporter, given: str,
                                                           masked: str) -> None:
    """csh's ``setenv NAME VALUE`` masks the value of a secret-named variable, digits under ``TOKEN`` too."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize("given", [
    "setenv PATH /usr/local/bin:/usr/bin", "setenv MAX_TOKENS 4096", "setenv MAX_TOKEN 4096",
    "setenv API_KEY $API_KEY", "setenv TOKEN", "echo setenv TOKEN Xk9mQ2vLr8",
])
def test_a_csh_setenv_of_another_variable_or_a_count_is_kept(span_exporter: InMemorySpanExporter, given: str) -> None:
    """``setenv`` of a variable naming no secret, one counting tokens, a variable's value passed on: kept."""
    assert _recorded(span_exporter, given) == given


@pytest.mark.parametrize(("given", "masked"), [
    ("curl -x bob:Xk9mQ2vLr8@proxy:3128 https://a", "curl -x bob:[REDACTED]@proxy:3128 https://a"),
    ("curl -sS -xbob:Xk9mQ2vLr8@proxy:3128 https://a", "curl -sS -xbob:[REDACTED]@proxy:3128 https://a"),
    ("curl --preproxy bob:Xk9mQ2vLr8@socks:1080 https://a", "curl --preproxy bob:[REDACTED]@socks:1080 https://a"),
    (["curl", "-x", "bob:Xk9mQ2vLr8@proxy:3128", "https://a"],
     ["curl", "-x", "bob:[REDACTED]@proxy:3128", "https://a"]),
])
def test_a_curl_proxys_password_without_a_scheme_is_masked(span_exporter: InMemorySpanExporter,
                                                           given: str | list[str], masked: str | list[str]) -> None:
    """curl's ``-x user:password@host:port`` (or ``--preproxy``) has the password masked, user and host kept."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("curl -sx bob:Xk9mQ2vLr8@proxy:3128 https://a", "curl -sx bob:[REDACTED]@proxy:3128 https://a"),
    ("curl -sSLx bob:Xk9mQ2vLr8@proxy:3128 https://a", "curl -sSLx bob:[REDACTED]@proxy:3128 https://a"),
    ("curl -fsxbob:Xk9mQ2vLr8@proxy:3128 https://a", "curl -fsxbob:[REDACTED]@proxy:3128 https://a"),
    (["curl", "-sx", "bob:Xk9mQ2vLr8@proxy:3128", "https://a"], ["curl", "-sx", "bob:[REDACTED]@proxy:3128", "https://a"]),
])
def test_a_curl_proxys_password_after_grouped_short_options_is_masked(span_exporter: InMemorySpanExporter,
                                                                      given: str | list[str],
                                                                      masked: str | list[str]) -> None:
    """``-x`` grouped after other short options (``-sx``, ``-sSLx``, ``-fsxVALUE``), as curl reads it: still masked."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize("given", [
    "poetry config http-basic.myrepo alice", "poetry config --unset http-basic.myrepo",
    "poetry config repositories.corp https://pypi.corp/simple", 'poetry config pypi-token.pypi "$PYPI_TOKEN"',
    "kubectl config set clusters.dev.server https://k8s.corp:6443", "kubectl config set-context dev --user=dev",
    "kubectl get secret db -o yaml", "docker run -p 8080:80 nginx",
    "cargo login", "cargo login --registry corp", "echo $TOKEN | cargo login", "cargo login $CARGO_TOKEN",
    "please login first with cargo", "wandb login", "cargo login failed: no token found", "wandb login successful.",
    "wandb login 401 Unauthorized", "cargo login 3 times, then gave up",
    "gh secret set API_KEY < key.txt", 'gh secret set API_KEY --body "$API_KEY"', "gh secret list",
    "gh pr create --body 'Fixes the login page' -b main", "gh variable set REGION --body eu-west-1",
    "curl -x proxy.corp:3128 https://a", "curl -x $PROXY https://a", "curl -X POST bob:x@h:1",
    "tar -x bob:a@host:1 -f f.tar",
    ["cargo", "login"], ["gh", "secret", "set", "API_KEY"],
])
def test_other_arguments_of_the_login_and_secret_commands_are_kept(span_exporter: InMemorySpanExporter,
                                                                   given: str | list[str]) -> None:
    """Those commands without a secret (a prompt, stdin, a variable, a key naming none) and the same words after another
    program or subcommand are kept."""
    assert _recorded(span_exporter, given) == given


@pytest.mark.parametrize(("given", "masked"), [
    ("python -m wandb login 0123456789abcdef0123456789abcdef01234567", "python -m wandb login [REDACTED]"),
    ("python3 -m wandb login --relogin Xk9mQ2vLr8", "python3 -m wandb login --relogin [REDACTED]"),
    ("python3.11 -u -X dev -m wandb login Xk9mQ2vLr8", "python3.11 -u -X dev -m wandb login [REDACTED]"),
    ("/usr/bin/python3 -Bm wandb login Xk9mQ2vLr8", "/usr/bin/python3 -Bm wandb login [REDACTED]"),
    ("python -m pip config set global.password Xk9mQ2vLr8", "python -m pip config set global.password [REDACTED]"),
    ("python -m httpie -a bob:Xk9mQ2vLr8 example.com", "python -m httpie -a bob:[REDACTED] example.com"),
    (["python3", "-m", "wandb", "login", "Xk9mQ2vLr8"], ["python3", "-m", "wandb", "login", "[REDACTED]"]),
])
def test_a_program_run_as_a_python_module_is_read_as_that_program(span_exporter: InMemorySpanExporter,
                                                                  given: str | list[str],
                                                                  masked: str | list[str]) -> None:
    """``python -m wandb login KEY`` (any python, its own options before ``-m``) masks the key as ``wandb login`` does,
    and so for the other programs read by what they run (``pip config set``, httpie's ``-a``)."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize("given", [
    "python -m wandb login", "python3 -m wandb login 401 Unauthorized", "python -m wandb sync Xk9mQ2vLr8",
    "python -c 'import wandb' login Xk9mQ2vLr8", "python login.py login Xk9mQ2vLr8", "python -m pytest -k login x",
    ["python3", "-m", "wandb", "login"],
])
def test_a_python_module_without_its_secret_is_kept(span_exporter: InMemorySpanExporter,
                                                    given: str | list[str]) -> None:
    """A module's command with no token, another module, a script or ``-c`` code run by python hold no secret."""
    assert _recorded(span_exporter, given) == given


@pytest.mark.parametrize(("given", "masked"), [
    ("kubectl config set users.dev.client-key-data LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==",
     "kubectl config set users.dev.client-key-data [REDACTED]"),
    ("kubectl config set-credentials dev --client-key-data=LS0tLS1CRUdJTiBSU0E",
     "kubectl config set-credentials dev --client-key-data=[REDACTED]"),
    ("kubectl config set-credentials dev --client-key-data LS0tLS1CRUdJTiBSU0E --embed-certs",
     "kubectl config set-credentials dev --client-key-data [REDACTED] --embed-certs"),
    ("users:\n- name: dev\n  user:\n    client-key-data: LS0tLS1CRUdJTiBSU0E\n",
     "users:\n- name: dev\n  user:\n    client-key-data: [REDACTED]\n"),
    (["kubectl", "config", "set", "users.dev.client-key-data", "LS0tLS1CRUdJTiBSU0E"],
     ["kubectl", "config", "set", "users.dev.client-key-data", "[REDACTED]"]),
])
def test_kubectls_client_key_data_is_masked(span_exporter: InMemorySpanExporter, given: str | list[str],
                                            masked: str | list[str]) -> None:
    """A kubeconfig's ``client-key-data`` (a private key) is masked: set by ``kubectl config``, or written out."""
    assert _recorded(span_exporter, given) == masked


_KEY_LINES = "      LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcFFJQkFBS0NBUUVB\n      QUJDREVGR0hJSktMTU5PUFFS\n"


@pytest.mark.parametrize(("given", "masked"), [
    ("users:\n- name: dev\n  user:\n    client-key-data: |\n" + _KEY_LINES + "    username: dev\n",
     "users:\n- name: dev\n  user:\n    client-key-data: |\n      [REDACTED]\n    username: dev\n"),
    ("    client-key-data: >-\n" + _KEY_LINES + "- name: next\n",
     "    client-key-data: >-\n      [REDACTED]\n- name: next\n"),
    ("client-key-data: |2\r\n  QUJDREVGR0hJSktMTU5P\r\n\r\n  UFFSU1RVVldYWVo=\r\nnext: 1",
     "client-key-data: |2\r\n  [REDACTED]\r\nnext: 1"),
    ("export CLIENT_KEY_DATA=LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVk && kubectl get pods",
     "export CLIENT_KEY_DATA=[REDACTED] && kubectl get pods"),
    ("the env has CLIENT_KEY_DATA=QUJDREVGR0hJSktMTU5P set", "the env has CLIENT_KEY_DATA=[REDACTED] set"),
])
def test_kubeconfig_client_key_data_as_a_block_or_in_capitals_is_masked(span_exporter: InMemorySpanExporter,
                                                                         given: str, masked: str) -> None:
    """``client-key-data: |`` (or ``>-``) with the key on the lines below, and ``CLIENT_KEY_DATA=…``, are masked."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize("given", [
    "kubectl config set users.dev.client-certificate-data LS0tLS1CRUdJTiBDRVJU",
    "kubectl config set clusters.dev.certificate-authority-data LS0tLS1CRUdJTiBDRVJU",
    "kubectl config set-credentials dev --client-certificate-data=LS0tLS1CRUdJTiBDRVJU",
    "kubectl config set-credentials dev --client-key=~/.kube/dev.key",
    "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJU\n",
    "    client-certificate-data: |\n      LS0tLS1CRUdJTiBDRVJU\n      QUJDREVGR0hJSktMTU5P\n",
    "    certificate-authority-data: >-\n      LS0tLS1CRUdJTiBDRVJU\n",
    "export CLIENT_CERTIFICATE_DATA=QUJDREVGR0hJSktMTU5P && x", "x CERTIFICATE_AUTHORITY_DATA=QUJDREVGR0hJSktMTU5P",
])
def test_kubectls_certificate_data_is_kept(span_exporter: InMemorySpanExporter, given: str) -> None:
    """A client's or an authority's certificate data is public, and ``--client-key`` names a file: both are kept."""
    assert _recorded(span_exporter, given) == given
