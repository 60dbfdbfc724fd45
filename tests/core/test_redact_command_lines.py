"""A secret on a command line a tool runs or reports: a secret-named flag's value as the next word
(``--password X``) and the credentials of ``curl -u user:X``; flags that name a file, a variable or nothing
are kept."""

from __future__ import annotations

import json

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv


def _recorded_argument(exporter: InMemorySpanExporter, text: str) -> str:
    """What a tool called with ``text`` recorded for it."""
    @agentops.tool
    def run(command: str) -> str:
        return "ok"

    run(command=text)
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "execute_tool run"]
    return str(json.loads(str((span.attributes or {})[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]))["command"])


@pytest.mark.parametrize(("text", "masked"), [
    ("mysql --password hunter2x -u bob", "mysql --password [REDACTED] -u bob"),
    ("gh run --token abc123def now", "gh run --token [REDACTED] now"),
    ("cli --api-key Zq8xW2vLp9 --region eu", "cli --api-key [REDACTED] --region eu"),
    ("cli --api-key sk-abcdefghijklmnopqrstu", "cli --api-key [REDACTED]"),
    ("vault login --client-secret 'Zq8x W2vL'", "vault login --client-secret '[REDACTED]'"),
    ("mysql --password swordfish", "mysql --password [REDACTED]"),
    ('run(["mysql", "--password", "hunter2x"])', 'run(["mysql", "--password", "[REDACTED]"])'),
])
def test_a_secret_named_flags_next_word_is_masked(span_exporter: InMemorySpanExporter, text: str,
                                                  masked: str) -> None:
    """``--password X``, ``--token X``, ``--api-key X`` (and the argv list form) mask X as ``--password=X`` does."""
    assert _recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("mysql --password swordfish mydb", "mysql --password [REDACTED] mydb"),
    ("cli --token abcdef now --verbose", "cli --token [REDACTED] now --verbose"),
    ('vault login --client-secret Swordfish Prod', 'vault login --client-secret [REDACTED] Prod'),
])
def test_a_flags_plain_word_before_more_arguments_is_masked(span_exporter: InMemorySpanExporter, text: str,
                                                            masked: str) -> None:
    """A secret-named flag's value that is a plain word followed by more arguments is masked, not read as prose."""
    assert _recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("FROM mysql:8\nRUN mysql -u root -pS3cretPw -e 'select 1'",
     "FROM mysql:8\nRUN mysql -u root -p[REDACTED] -e 'select 1'"),
    ("RUN htpasswd -b /etc/nginx/.htpasswd admin S3cretPw", "RUN htpasswd -b /etc/nginx/.htpasswd admin [REDACTED]"),
    ("RUN sshpass -p S3cretPw ssh host", "RUN sshpass -p [REDACTED] ssh host"),
])
def test_a_dockerfiles_run_line_is_read_as_a_command(span_exporter: InMemorySpanExporter, text: str,
                                                     masked: str) -> None:
    """A Dockerfile's ``RUN`` runs the command after it: that client's password flag is masked as on a shell line."""
    assert _recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("mysql -u root -pS3cretPw db", "mysql -u root -p[REDACTED] db"),
    ("mysql -u root -p S3cretPw db", "mysql -u root -p [REDACTED] db"),
    ("mysqldump -uroot -pswordfish shop > shop.sql", "mysqldump -uroot -p[REDACTED] shop > shop.sql"),
    ("mysqladmin -u root -p'pa;ss' status", "mysqladmin -u root -p'[REDACTED]' status"),
    ('/usr/bin/mariadb -h db -p"S3cret" -e "select 1"', '/usr/bin/mariadb -h db -p"[REDACTED]" -e "select 1"'),
    ("cd /srv && mysql -pS3cretPw shop; ssh -p 22 host", "cd /srv && mysql -p[REDACTED] shop; ssh -p 22 host"),
])
def test_a_mysql_short_password_flags_value_is_masked(span_exporter: InMemorySpanExporter, text: str,
                                                       masked: str) -> None:
    """After mysql, mysqldump, mysqladmin or mariadb, ``-pX`` and ``-p X`` mask X (their ``-p`` is a password)."""
    assert _recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("curl -u user:hunter2x https://api.example.com", "curl -u user:[REDACTED] https://api.example.com"),
    ("curl --user user:hunter2x https://x.example", "curl --user user:[REDACTED] https://x.example"),
    ("curl --user=ann:Zq8xW2 -X GET", "curl --user=ann:[REDACTED] -X GET"),
    ('curl -u "ann:pa ss word" https://x.example', 'curl -u "ann:[REDACTED]" https://x.example'),
    ("curl -U proxy:hunter2x -x http://p:3128", "curl -U proxy:[REDACTED] -x http://p:3128"),
    ("curl -u ann:'hunter2x' https://x.example", "curl -u ann:'[REDACTED]' https://x.example"),
    ("curl -uuser:hunter2x https://x.example", "curl -uuser:[REDACTED] https://x.example"),
    ('curl -U"proxy:hunter2x" -x http://p:3128', 'curl -U"proxy:[REDACTED]" -x http://p:3128'),
    ('curl --user ann:"pa ss;word" -X GET', 'curl --user ann:"[REDACTED]" -X GET'),
])
def test_basic_auth_credentials_on_a_command_line_are_masked(span_exporter: InMemorySpanExporter, text: str,
                                                             masked: str) -> None:
    """``-u user:password`` / ``--user user:password`` keep the user and mask the password."""
    assert _recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize("text", [
    "use the --token flag to log in",
    "pass --password to be prompted",
    "the --api-key option.",
    "docker login --password-stdin < pw.txt",
    "mysql --no-password --verbose",
    "mysql --password -u bob",
    "cli --token $GITHUB_TOKEN and --password ${DB_PASSWORD}",
    "cli --token $(cat token.txt) --api-key {api_key}",
    "ansible --private-key ~/.ssh/id_ed25519 all",
    "cli --credentials /etc/app/creds.json",
    "cli --token-count 42 --max-tokens 512",
    "docker run -u 1000:1000 image",
    "docker run --user app:app image",
    'curl -u "$USER:$PASS" https://x.example',
    "sort -u file.txt",
    "word -- word and -----",
    "ssh -p 22 host", "docker run -p 8080:80 img", "python -m pytest -p no:cacheprovider", "mkdir -p dir/sub",
    "psql -h db -p 5432 shop", "mysql -h db -P 3306 -u bob -p", "mysql -u bob -p -e 'show tables'",
    "mysql -u bob -p$MYSQL_PWD shop", "set --password when you are prompted",
    "the --token value must be fresh",
    "-curl -uuser:1000 x",
])
def test_command_lines_and_prose_without_a_secret_are_kept(span_exporter: InMemorySpanExporter,
                                                           text: str) -> None:
    """A flag followed by another flag, a file, a variable, a placeholder or a sentence, and a uid:gid, hold none."""
    assert _recorded_argument(span_exporter, text) == text


@pytest.mark.parametrize("text", [
    "rsync -u remote:backup/ .", "rsync -av -u remote:backup/ .", "sudo rsync -u host:srv/ /srv", "cp -u a:b c",
    "mv -u a:b c", "/bin/cp -u a:b c && ls", "cp -U a:b c",
])
def test_the_update_flag_of_rsync_cp_and_mv_is_no_user(span_exporter: InMemorySpanExporter, text: str) -> None:
    """rsync's, cp's and mv's ``-u`` is ``--update``: a ``host:path`` after it is kept."""
    assert _recorded_argument(span_exporter, text) == text


@pytest.mark.parametrize(("text", "masked"), [
    ("rsync -u remote:backup/ . && curl -u bob:hunter2x https://x",
     "rsync -u remote:backup/ . && curl -u bob:[REDACTED] https://x"),
    ("rsync -u bob:hunter2x@host:/d .", "rsync -u bob:[REDACTED]@host:/d ."),
    ("echo cp; curl -u bob:hunter2x https://x", "echo cp; curl -u bob:[REDACTED] https://x"),
])
def test_a_user_password_after_rsync_cp_or_mv_is_still_masked(span_exporter: InMemorySpanExporter, text: str,
                                                               masked: str) -> None:
    """Another command's ``-u user:password`` and an rsync remote's own password are masked still."""
    assert _recorded_argument(span_exporter, text) == masked


def _recorded_argv(exporter: InMemorySpanExporter, argv: list[str]) -> list[str]:
    """What a tool called with the argument list ``argv`` recorded for it."""
    @agentops.tool
    def run(argv: list[str]) -> str:
        return "ok"

    run(argv)
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "execute_tool run"]
    return list(json.loads(str((span.attributes or {})[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]))["argv"])


@pytest.mark.parametrize(("argv", "masked"), [
    (["mysql", "--password", "hunter2x", "-u", "bob"], ["mysql", "--password", "[REDACTED]", "-u", "bob"]),
    (["vault", "login", "--client-secret", "Zq8x W2vL"], ["vault", "login", "--client-secret", "[REDACTED]"]),
    (["curl", "-u", "bob:hunter2x", "https://x.example"], ["curl", "-u", "bob:[REDACTED]", "https://x.example"]),
    (("gh", "--token", "abc123def"), ["gh", "--token", "[REDACTED]"]),
])
def test_a_secret_in_an_argument_list_is_masked(span_exporter: InMemorySpanExporter, argv: list[str],
                                                masked: list[str]) -> None:
    """A tool given the command as a list (``subprocess.run``'s form) masks the item after a secret-named flag,
    and the password of the item after ``-u``, as in the command's text."""
    assert _recorded_argv(span_exporter, argv) == masked


@pytest.mark.parametrize("argv", [
    ["mysql", "--password", "--verbose"], ["docker", "run", "-u", "1000:1000", "img"],
    ["ansible", "--private-key", "~/.ssh/id", "all"], ["cli", "--token", "$TOKEN"], ["cli", "--token-count", "42"],
    ["rsync", "-u", "remote:backup/", "."],
])
def test_an_argument_list_without_a_secret_is_kept(span_exporter: InMemorySpanExporter, argv: list[str]) -> None:
    """A flag followed by another flag, a path, a variable or a count, a uid:gid and rsync's ``-u`` (``--update``)
    hold none in a list either."""
    assert _recorded_argv(span_exporter, argv) == argv


@pytest.mark.parametrize(("argv", "masked"), [
    (["mysql", "-u", "root", "-pS3cretPw", "db"], ["mysql", "-u", "root", "-p[REDACTED]", "db"]),
    (["mysql", "-p", "S3cretPw", "db"], ["mysql", "-p", "[REDACTED]", "db"]),
    (["/usr/bin/mysqldump", "-uroot", "-pa;b c", "shop"], ["/usr/bin/mysqldump", "-uroot", "-p[REDACTED]", "shop"]),
    (["mariadb", "-h", "db", "-p", "pa ss;word"], ["mariadb", "-h", "db", "-p", "[REDACTED]"]),
    (["sudo", "mysql", "-P", 3306, "-p", "S3cretPw"], ["sudo", "mysql", "-P", 3306, "-p", "[REDACTED]"]),
])
def test_a_mysql_password_in_an_argument_list_is_masked(span_exporter: InMemorySpanExporter, argv: list[object],
                                                        masked: list[object]) -> None:
    """A MySQL or MariaDB client given as a list masks ``-pX`` and the item after ``-p`` as its text would."""
    assert _recorded_argv(span_exporter, argv) == masked  # type: ignore[arg-type]


@pytest.mark.parametrize(("argv", "masked"), [
    (["curl", "-u", "bob:pa ss", "https://x.example"], ["curl", "-u", "bob:[REDACTED]", "https://x.example"]),
    (["curl", "-ubob:pa ss"], ["curl", "-ubob:[REDACTED]"]),
    (["vault", "--token", "Zq8x;W2 vL"], ["vault", "--token", "[REDACTED]"]),
])
def test_a_list_items_secret_is_masked_whole(span_exporter: InMemorySpanExporter, argv: list[str],
                                             masked: list[str]) -> None:
    """A password given as a list's item (or glued to its flag in one) is masked to the item's end, spaces and all:
    the item is one argument."""
    assert _recorded_argv(span_exporter, argv) == masked


@pytest.mark.parametrize("argv", [
    ["ssh", "-p", "22", "host"], ["mysql", "-u", "bob", "-p", "-e", "show tables"], ["mysql", "-p"],
    ["mysql", "-p$MYSQL_PWD", "shop"], ["psql", "-h", "db", "-p", "5432"], ["pytest", "-p", "no:cacheprovider"],
    ["ls", "-l", "mysql", "-p"],
])
def test_an_argument_list_read_as_a_command_keeps_what_its_text_keeps(span_exporter: InMemorySpanExporter,
                                                                     argv: list[str]) -> None:
    """A port, a prompt, a variable, a plugin after ``-p`` hold no password in a list either."""
    assert _recorded_argv(span_exporter, argv) == argv


def test_an_argument_list_in_json_text_with_a_secret_key_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """JSON text masked by its keys (so written anew) masks a command list in it as the same list given as such."""
    text = json.dumps({"api_key": "Zq8xW2vLp9", "argv": ["mysql", "-pS3cretPw", "--password", "hunter2x", "db"]})
    assert json.loads(_recorded_argument(span_exporter, text)) == {
        "api_key": "[REDACTED]", "argv": ["mysql", "-p[REDACTED]", "--password", "[REDACTED]", "db"]}


def test_a_script_items_text_after_a_password_is_kept(span_exporter: InMemorySpanExporter) -> None:
    """An item that is a script of its own (``sh -c "…"``) is masked as text: what follows the password stays."""
    argv = ["sh", "-c", "mysql -u bob -pS3cretPw db; ssh -p 22 host"]
    assert _recorded_argv(span_exporter, argv) == ["sh", "-c", "mysql -u bob -p[REDACTED] db; ssh -p 22 host"]


def test_a_flags_secret_in_a_tools_error_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """A tool's exception quoting the command it ran masks the flag's value in the event and status."""
    @agentops.tool
    def dump(db: str) -> None:
        raise RuntimeError("command failed: mysqldump --password hunter2x -u bob " + db)

    with agentops.session("s"), pytest.raises(RuntimeError) as raised:
        dump("shop")
    assert "hunter2x" in str(raised.value)
    (span,) = [s for s in span_exporter.get_finished_spans() if s.name == "execute_tool dump"]
    (event,) = [e for e in span.events if e.name == "exception"]
    assert (event.attributes or {})["exception.message"] == (
        "command failed: mysqldump --password [REDACTED] -u bob shop")
    assert "hunter2x" not in str(span.status.description)


def test_basic_auth_in_a_tools_result_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """A tool returning the command it ran records it with the password masked."""
    @agentops.tool
    def plan() -> str:
        return "run: curl -u deploy:hunter2x https://ci.example/api"

    plan()
    (span,) = [s for s in span_exporter.get_finished_spans() if s.name == "execute_tool plan"]
    assert json.loads(str((span.attributes or {})[semconv.GEN_AI_TOOL_CALL_RESULT])) == (
        "run: curl -u deploy:[REDACTED] https://ci.example/api")


@pytest.mark.parametrize("text", [
    "mysql --password hunter2x -u bob", "curl -u ann:hunter2x --token 'a b' x", '["--api-key", "Zq8xW2"]',
])
def test_a_masked_command_line_masked_again_is_unchanged(span_exporter: InMemorySpanExporter, text: str) -> None:
    """What a first masking made of a command line is recorded as it is when met again."""
    once = _recorded_argument(span_exporter, text)
    span_exporter.clear()
    assert once != text and _recorded_argument(span_exporter, once) == once


def _recorded(exporter: InMemorySpanExporter, given: str | list[str]) -> str | list[str]:
    """What a tool recorded for a command given as text or as a list."""
    return _recorded_argument(exporter, given) if isinstance(given, str) else _recorded_argv(exporter, given)


@pytest.mark.parametrize(("given", "masked"), [
    ("mysql --password a-Str0ng-P@ss", "mysql --password [REDACTED]"),
    ("cli --api-key on#Fire99 --region eu", "cli --api-key [REDACTED] --region eu"),
    ("app --token the_Best_pw1 --verbose", "app --token [REDACTED] --verbose"),
    ("vault login --token so-Sekret-42", "vault login --token [REDACTED]"),
    ("mysql --password as-fig-pun-wry", "mysql --password [REDACTED]"),
    ("mysql -u root -p a-Str0ng-P@ss shop", "mysql -u root -p [REDACTED] shop"),
    (["mysql", "-u", "root", "--password", "on-Call#2024"], ["mysql", "-u", "root", "--password", "[REDACTED]"]),
    (["cli", "--client-secret", "the_Best_pw1"], ["cli", "--client-secret", "[REDACTED]"]),
    (["mysql", "-p", "the_Best_pw1"], ["mysql", "-p", "[REDACTED]"]),
])
def test_a_password_starting_with_a_function_word_is_masked(span_exporter: InMemorySpanExporter,
                                                            given: str | list[str], masked: str | list[str]) -> None:
    """A flag's value that starts with a word of prose glued to more (``a-Str0ng-P@ss``, ``the_Best_pw1``) is masked."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize("given", [
    "docker run -d --name mysql -p 3306:3306 -e X=$PW mysql:8",
    "find /var/lib/mysql -type f -perm 644 -print",
    "tree /etc/mysql -pug",
    "sudo -u mysql mkdir -p backups/daily",
    "sudo -u mysql cp -p my.cnf my.cnf.bak",
    "docker compose up -d mysql -p myproject",
    ["docker", "run", "--name", "mysql", "-p", "3306:3306", "mysql:8"],
    ["sudo", "-u", "mysql", "mkdir", "-p", "backups/daily"],
    "the --token flag", "the --api-key option.", "set --password when prompted",
])
def test_mysql_as_an_argument_keeps_the_commands_short_p(span_exporter: InMemorySpanExporter,
                                                          given: str | list[str]) -> None:
    """``mysql`` as a name, a path or a user (not the command run) leaves another command's ``-p`` alone."""
    assert _recorded(span_exporter, given) == given


@pytest.mark.parametrize(("given", "masked"), [
    ("sudo -u bob mysql -pS3cretPw shop", "sudo -u bob mysql -p[REDACTED] shop"),
    ("env MYSQL_HOST=db time ./mysql -p S3cretPw", "env MYSQL_HOST=db time ./mysql -p [REDACTED]"),
    ("echo x | xargs -n 1 /usr/bin/mysqldump -pS3cretPw", "echo x | xargs -n 1 /usr/bin/mysqldump -p[REDACTED]"),
    ("out=$(mysql -pS3cretPw -e 'select 1')", "out=$(mysql -p[REDACTED] -e 'select 1')"),
    ("docker exec -it db mysql -uroot -pS3cretPw", "docker exec -it db mysql -uroot -p[REDACTED]"),
    ("kubectl exec -it db-0 -- mariadb -pS3cretPw", "kubectl exec -it db-0 -- mariadb -p[REDACTED]"),
    ("command failed: mysqldump -pS3cretPw shop", "command failed: mysqldump -p[REDACTED] shop"),
    ("$ mysql -pS3cretPw", "$ mysql -p[REDACTED]"),
    (["/usr/bin/mysql", "-pS3cretPw"], ["/usr/bin/mysql", "-p[REDACTED]"]),
    (["sudo", "-u", "bob", "mysql", "-p", "S3cretPw"], ["sudo", "-u", "bob", "mysql", "-p", "[REDACTED]"]),
])
def test_a_mysql_client_run_through_a_wrapper_masks_its_password(span_exporter: InMemorySpanExporter,
                                                                 given: str | list[str],
                                                                 masked: str | list[str]) -> None:
    """A MySQL client run by ``sudo``, ``env``, ``xargs``, ``$(…)``, ``docker exec`` or by its path masks ``-p``."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("docker-compose exec db mysql -uroot -pS3cretPw", "docker-compose exec db mysql -uroot -p[REDACTED]"),
    ("podman-compose exec -T db mariadb -pS3cretPw", "podman-compose exec -T db mariadb -p[REDACTED]"),
    ("/usr/bin/docker-compose exec db mysql -pS3cretPw", "/usr/bin/docker-compose exec db mysql -p[REDACTED]"),
])
def test_a_mysql_client_run_by_docker_compose_exec_masks_its_password(span_exporter: InMemorySpanExporter, given: str,
                                                                      masked: str) -> None:
    """``docker-compose exec SERVICE mysql -pX`` runs the client as ``docker compose exec`` does: masked."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("redis-cli -h cache -a S3cretPw! ping", "redis-cli -h cache -a [REDACTED] ping"),
    ("sshpass -p 'S3cretPw!' ssh deploy@10.0.0.5", "sshpass -p '[REDACTED]' ssh deploy@10.0.0.5"),
    ("sqlcmd -S db -U sa -P S3cretPw! -Q 'select 1'", "sqlcmd -S db -U sa -P [REDACTED] -Q 'select 1'"),
    ("mongosh -u admin -p S3cretPw! --authenticationDatabase admin",
     "mongosh -u admin -p [REDACTED] --authenticationDatabase admin"),
    ("ldapsearch -x -D cn=admin,dc=corp -w S3cretPw! -b dc=corp",
     "ldapsearch -x -D cn=admin,dc=corp -w [REDACTED] -b dc=corp"),
])
def test_other_clients_short_password_flags_value_is_masked(span_exporter: InMemorySpanExporter, text: str,
                                                              masked: str) -> None:
    """``redis-cli -a``, ``sshpass -p``, ``sqlcmd -P``, MongoDB's ``-p``, OpenLDAP's ``-w`` take the password."""
    assert _recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize("text", [
    "ldapsearch -x -W -b dc=corp", "mongosh --port 27017 -u admin", "redis-cli -h cache ping",
    "sshpass -f ~/.pw ssh host", "sqlcmd -S db -E", "ssh -p 22 host", "wget -a log.txt https://x.io",
])
def test_those_clients_other_flags_and_other_commands_flags_are_kept(span_exporter: InMemorySpanExporter,
                                                                     text: str) -> None:
    """Their prompting flags, their other flags, and the same letters in other commands hold no password."""
    assert _recorded_argument(span_exporter, text) == text


def test_a_redis_password_in_an_argument_list_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """As a tool's list argument too."""
    assert _recorded_argv(span_exporter, ["redis-cli", "-a", "S3cretPw!", "ping"]) == [
        "redis-cli", "-a", "[REDACTED]", "ping"]


@pytest.mark.parametrize(("given", "masked"), [
    ("docker login -u bob -p Xk9mQ2vLr8 registry.example.com",
     "docker login -u bob -p [REDACTED] registry.example.com"),
    ("sudo podman login -u bob -pXk9mQ2vLr8 quay.io", "sudo podman login -u bob -p[REDACTED] quay.io"),
    ("oc login -u admin -p Xk9mQ2vLr8 https://api.ocp:6443", "oc login -u admin -p [REDACTED] https://api.ocp:6443"),
    (["docker", "login", "-u", "bob", "-p", "Xk9mQ2vLr8"], ["docker", "login", "-u", "bob", "-p", "[REDACTED]"]),
])
def test_a_registry_logins_short_password_flag_is_masked(span_exporter: InMemorySpanExporter,
                                                        given: str | list[str], masked: str | list[str]) -> None:
    """``docker login -p X`` (and podman's, nerdctl's, ``oc login``'s) takes the password as its ``--password``."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("smbclient //srv/share -U bob%Xk9mQ2vLr8", "smbclient //srv/share -U bob%[REDACTED]"),
    ("smbclient -L srv -UCORP\\bob%Xk9mQ2vLr8 -m SMB3", "smbclient -L srv -UCORP\\bob%[REDACTED] -m SMB3"),
    ("rpcclient -U 'bob%Xk9 mQ2' srv", "rpcclient -U 'bob%[REDACTED]' srv"),
    ("net ads join --user=administrator%Xk9mQ2vLr8", "net ads join --user=administrator%[REDACTED]"),
    (["smbclient", "//srv/share", "-U", "bob%Xk9mQ2vLr8"], ["smbclient", "//srv/share", "-U", "bob%[REDACTED]"]),
])
def test_a_samba_clients_user_password_is_masked(span_exporter: InMemorySpanExporter, given: str | list[str],
                                                 masked: str | list[str]) -> None:
    """Samba's tools take ``-U user%password``: the user is kept, the password masked."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("http -a bob:Xk9mQ2vLr8 example.com", "http -a bob:[REDACTED] example.com"),
    ("https -a 'bob:Xk9 mQ2' POST api.example.com", "https -a 'bob:[REDACTED]' POST api.example.com"),
    ("http --auth bob:Xk9mQ2vLr8 example.com", "http --auth [REDACTED] example.com"),
    ("xh -a bob:4821 example.com", "xh -a bob:[REDACTED] example.com"),
    (["http", "-a", "bob:Xk9mQ2vLr8", "example.com"], ["http", "-a", "bob:[REDACTED]", "example.com"]),
])
def test_httpies_auth_password_is_masked(span_exporter: InMemorySpanExporter, given: str | list[str],
                                         masked: str | list[str]) -> None:
    """httpie's ``-a user:password`` keeps the user and masks the password, as ``--auth`` does."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize("text", [
    "docker run -p 8080:80 nginx", "docker login -u bob --password-stdin registry.example.com",
    "docker login -u bob -p $REGISTRY_PASSWORD", "smbclient -L srv -U bob", "smbclient -L srv -N",
    "date -u +%Y-%m-%d", "http -a bob example.com", "ls -a /tmp", "tar -U x%y.tar", "wget -a bob:log.txt x",
    "rpcclient -U bob%$SMB_PASS srv",
])
def test_those_commands_other_flags_and_the_same_flags_elsewhere_are_kept(span_exporter: InMemorySpanExporter,
                                                                          text: str) -> None:
    """A port, a prompt, a variable, a user alone, and ``-U``, ``-a``, ``-p`` of other commands hold no password."""
    assert _recorded_argument(span_exporter, text) == text


@pytest.mark.parametrize(("given", "masked"), [
    ("az login -u bob@corp.com -p Xk9mQ2vLr8", "az login -u bob@corp.com -p [REDACTED]"),
    ("az login --service-principal -u app-id -p Xk9mQ2vLr8 --tenant t1",
     "az login --service-principal -u app-id -p [REDACTED] --tenant t1"),
    (["az", "login", "-u", "bob@corp.com", "-p", "Xk9mQ2vLr8"],
     ["az", "login", "-u", "bob@corp.com", "-p", "[REDACTED]"]),
])
def test_azure_clis_login_password_is_masked(span_exporter: InMemorySpanExporter, given: str | list[str],
                                             masked: str | list[str]) -> None:
    """``az login``'s ``-p`` is the password (or a service principal's secret): masked."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize("text", [
    "az login -u bob@corp.com", "az login --service-principal -u app-id -p ~/certs/app.pem --tenant t1",
    "az vm open-port -g rg -n vm1 --port 80", "az webapp config set -p 8080 -g rg",
])
def test_azure_clis_other_commands_and_a_certificates_path_are_kept(span_exporter: InMemorySpanExporter,
                                                                    text: str) -> None:
    """``az login`` with a prompt or a certificate's path, and other ``az`` commands' flags, hold no password."""
    assert _recorded_argument(span_exporter, text) == text


@pytest.mark.parametrize(("text", "masked"), [
    ("mysql -h db \\\n  -u root \\\n  -pXk9mQ2vLr8", "mysql -h db \\\n  -u root \\\n  -p[REDACTED]"),
    ("mysql -h db \\\r\n  -u root \\\r\n  -pXk9mQ2vLr8 \\\r\n  shop",
     "mysql -h db \\\r\n  -u root \\\r\n  -p[REDACTED] \\\r\n  shop"),
    ("sudo \\\n  mysql -p Xk9mQ2vLr8", "sudo \\\n  mysql -p [REDACTED]"),
    ("htpasswd -b \\\n  .htpasswd admin \\\n  Xk9mQ2vLr8", "htpasswd -b \\\n  .htpasswd admin \\\n  [REDACTED]"),
])
def test_a_command_continued_over_lines_is_read_as_one(span_exporter: InMemorySpanExporter, text: str,
                                                       masked: str) -> None:
    """A backslash before a line's end continues the command: a client's password on a later line is masked."""
    assert _recorded_argument(span_exporter, text) == masked


def test_a_line_after_a_command_not_continued_is_another_command(span_exporter: InMemorySpanExporter) -> None:
    """Without the backslash, the next line is a command of its own: mysql's ``-p`` does not reach ``mkdir -p``."""
    text = "mysql -h db -u root\nmkdir -p backups"
    assert _recorded_argument(span_exporter, text) == text


@pytest.mark.parametrize(("text", "masked"), [
    ("mysql -u root -pTr0ub4dor&3 shop", "mysql -u root -p[REDACTED] shop"),
    ("curl -u bob:Tr0ub4dor&3 https://x.example", "curl -u bob:[REDACTED] https://x.example"),
    ("mysqldump -u root --password Tr0ub4dor&3 shop > dump.sql",
     "mysqldump -u root --password [REDACTED] shop > dump.sql"),
    ("mysql -pXk9mQ2vLr8&&echo ok", "mysql -p[REDACTED]&&echo ok"),
    ("mysql -pXk9mQ2vLr8 2>&1 | tee log", "mysql -p[REDACTED] 2>&1 | tee log"),
])
def test_a_flags_password_holding_an_ampersand_is_masked_whole(span_exporter: InMemorySpanExporter, text: str,
                                                               masked: str) -> None:
    """An ``&`` glued inside a ``-p``/``-u``/``--password`` value is the value's; ``&&`` and a redirection are not."""
    assert _recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("curl --proxy-user bob:4821 https://a", "curl --proxy-user bob:[REDACTED] https://a"),
    ("curl -U bob:4821 -x proxy:3128 https://a", "curl -U bob:[REDACTED] -x proxy:3128 https://a"),
])
def test_a_proxy_users_password_of_digits_is_masked(span_exporter: InMemorySpanExporter, text: str,
                                                    masked: str) -> None:
    """After ``--proxy-user`` or ``-U`` digits are the password (no group id is given there), unlike after ``-u``."""
    assert _recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("mytool --token=4821", "mytool --token=[REDACTED]"),
    ("mytool --token 48213377", "mytool --token [REDACTED]"),
    ("mytool -token=4821 run", "mytool -token=[REDACTED] run"),
    ("cli --password 1234 --api-key=5555 --secret 77 --client-secret 9999",
     "cli --password [REDACTED] --api-key=[REDACTED] --secret [REDACTED] --client-secret [REDACTED]"),
    (["mytool", "--token", "4821"], ["mytool", "--token", "[REDACTED]"]),
])
def test_a_secret_named_flags_value_of_digits_is_masked(span_exporter: InMemorySpanExporter, given: str | list[str],
                                                        masked: str | list[str]) -> None:
    """``--token 4821`` (or ``=4821``) is a token of digits, not a count of tokens: masked as ``API_TOKEN=4821`` is."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize("given", [
    "llm --max-tokens 4096 --tokens 10 --token-limit 4096 --num-tokens=8",
    "gen --password-min-length 12 --secret-count 3 --max-token 512", "token: 512", "max_token=4096",
    ["llm", "--max-tokens", "4096", "--token-limit", "4096"],
])
def test_a_count_after_a_flag_naming_one_is_kept(span_exporter: InMemorySpanExporter, given: str | list[str]) -> None:
    """A flag counting tokens or setting a length or a number keeps its count, as a pair counting tokens does."""
    assert _recorded(span_exporter, given) == given


@pytest.mark.parametrize("given", [
    "docker run -u bob:staff alpine id", "docker run --rm -it -u bob:staff alpine sh",
    "podman exec --user bob:staff web id", "docker create --user=bob:staff alpine",
    "sudo docker run -e X=1 --name app -ubob:staff alpine", "docker compose run -u bob:staff web id",
    "nerdctl container run -d -u bob:wheel alpine", "docker exec -it -u www-data:www-data web sh",
    ["docker", "run", "-u", "bob:staff", "alpine", "id"],
])
def test_a_container_runs_user_and_group_are_kept(span_exporter: InMemorySpanExporter, given: str | list[str]) -> None:
    """``docker run|create|exec -u USER:GROUP`` (podman's, nerdctl's, compose's) names a user and a group: kept."""
    assert _recorded(span_exporter, given) == given


@pytest.mark.parametrize("given", [
    "docker-compose run -u bob:staff web id", "docker-compose exec -u bob:staff web id",
    "docker-compose -f ci.yml run --rm --user bob:staff web id", "/usr/local/bin/docker-compose run -ubob:staff web",
    "docker compose exec --user bob:staff web id", "podman-compose run -u bob:staff web id",
    ["docker-compose", "run", "-u", "bob:staff", "web", "id"],
])
def test_a_compose_services_user_and_group_are_kept(span_exporter: InMemorySpanExporter,
                                                   given: str | list[str]) -> None:
    """``docker-compose run|exec -u USER:GROUP`` (hyphenated, podman-compose's) reads as ``docker compose run`` does."""
    assert _recorded(span_exporter, given) == given


@pytest.mark.parametrize(("given", "masked"), [
    ("docker-compose run -u bob:staff web curl -u bob:hunter2x https://x",
     "docker-compose run -u bob:staff web curl -u bob:[REDACTED] https://x"),
    ("my-docker-compose run -u bob:hunter2x web", "my-docker-compose run -u bob:[REDACTED] web"),
])
def test_a_password_after_a_compose_services_options_is_still_masked(span_exporter: InMemorySpanExporter, given: str,
                                                                     masked: str) -> None:
    """The command a compose service runs, and a tool merely named like compose, still have ``-u``'s password masked."""
    assert _recorded(span_exporter, given) == masked


@pytest.mark.parametrize(("given", "masked"), [
    ("docker run -u bob:staff alpine curl -u bob:hunter2x https://x",
     "docker run -u bob:staff alpine curl -u bob:[REDACTED] https://x"),
    ("docker exec web curl --user bob:hunter2x https://x", "docker exec web curl --user bob:[REDACTED] https://x"),
    ("echo docker run; curl -u bob:hunter2x https://x", "echo docker run; curl -u bob:[REDACTED] https://x"),
    ("docker login -u bob -p hunter2x registry.io", "docker login -u bob -p [REDACTED] registry.io"),
    (["docker", "run", "alpine", "curl", "-u", "bob:hunter2x", "x"],
     ["docker", "run", "alpine", "curl", "-u", "bob:[REDACTED]", "x"]),
])
def test_a_user_password_inside_a_container_command_is_still_masked(span_exporter: InMemorySpanExporter,
                                                                    given: str | list[str],
                                                                    masked: str | list[str]) -> None:
    """``-u user:password`` of the command a container runs, or of another command, and a login's password: masked."""
    assert _recorded(span_exporter, given) == masked
