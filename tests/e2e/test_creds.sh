#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end tests of credentials, region and endpoint resolution (issue 4).
#
#   test_creds.sh PATH/TO/dyntabled PATH/TO/dtcall
#
# Run it through the harness, which starts dynalite behind its recording,
# signature-checking proxy and exports what this script reads:
#   tests/e2e/harness.sh BUILD/daemon/dyntabled -- \
#       bash tests/e2e/test_creds.sh BUILD/daemon/dyntabled BUILD/tests/e2e/dtcall
#
# This script starts its own daemons, one per configuration, each with a
# controlled environment (env -i), against the same proxy, plus
# tests/tools/aws-standins.js for the metadata, container and STS
# endpoints. Only 127.0.0.1 is ever contacted: AWS's addresses appear only
# in configurations whose daemons have no credentials and send nothing.
# Every key set any provider hands out is appended to $DYNTABLE_TEST_KEYS,
# so the proxy accepts it until it expires, and never after.
#
# Reads: DYNTABLE_TEST_DIR, DYNTABLE_TEST_ENDPOINT, DYNTABLE_TEST_KEYS,
# DYNTABLE_TEST_REQUESTS; DYNTABLE_TEST_WRAPPER (e.g. valgrind) wraps each
# daemon. The proxy must accept region eu-west-1 too
# (DYNTABLE_TEST_EXTRA_REGIONS=eu-west-1). Needs jq.
# Prints one PASS/FAIL line per check, then "N passed, N failed".
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 PATH/TO/dyntabled PATH/TO/dtcall" >&2
	exit 2
fi
daemon_bin=$1
dtcall=$2
for v in DYNTABLE_TEST_DIR DYNTABLE_TEST_ENDPOINT DYNTABLE_TEST_KEYS \
	DYNTABLE_TEST_REQUESTS; do
	if [ -z "${!v:-}" ]; then
		echo "$0: $v is not set; run me through tests/e2e/harness.sh" >&2
		exit 2
	fi
done
if ! command -v jq >/dev/null 2>&1; then
	echo "$0: needs jq" >&2
	exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || exit 2
tools=$(cd "$here/../tools" && pwd) || exit 2

work=$DYNTABLE_TEST_DIR/creds
mkdir -p "$work" || exit 2
endpoint=$DYNTABLE_TEST_ENDPOINT
keys=$DYNTABLE_TEST_KEYS
requests=$DYNTABLE_TEST_REQUESTS
replies=$work/replies.jsonl # every reply any daemon gave
secrets=$work/secrets.txt   # every secret any provider handed out
: >"$replies"
: >"$secrets"
wrapper=${DYNTABLE_TEST_WRAPPER:-}
slow=1
[ -n "$wrapper" ] && slow=4

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS: %s\n' "$1"; }
fail() {
	failed=$((failed + 1))
	printf 'FAIL: %s%s\n' "$1" "${2:+ ($2)}"
}
check() { # COND; check NAME [WHY]
	local st=$?
	if [ "$st" -eq 0 ]; then pass "$1"; else fail "$1" "${2:-}"; fi
}
hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# ---- the stand-ins ------------------------------------------------------------
web_token="webtoken$(hex 24)"
container_token="containertoken$(hex 24)"
printf '%s\n%s\n' "$web_token" "$container_token" >>"$secrets"
printf '%s\n' "$web_token" >"$work/web-token"
printf '%s\n' "$container_token" >"$work/container-token"

node "$tools/aws-standins.js" --state "$work/standins.json" --keys "$keys" \
	--lifetime 3600 --web-token "$web_token" \
	--container-token "$container_token" \
	</dev/null >"$work/standins.log" 2>&1 &
standins_pid=$!
declare -A pids=()
cleanup() {
	local n
	for n in "${!pids[@]}"; do
		kill -KILL "${pids[$n]}" 2>/dev/null
		wait "${pids[$n]}" 2>/dev/null
	done
	kill -TERM "$standins_pid" 2>/dev/null
	wait "$standins_pid" 2>/dev/null
}
trap cleanup EXIT
for _ in $(seq 100); do
	[ -s "$work/standins.json" ] && break
	sleep 0.1
done
if [ ! -s "$work/standins.json" ]; then
	echo "$0: aws-standins did not start:" >&2
	cat "$work/standins.log" >&2
	exit 1
fi
sport=$(jq -r .port "$work/standins.json")
cport=$(jq -r .control "$work/standins.json")
standins=http://127.0.0.1:$sport
control() { # control JSON: configures the stand-ins
	curl -fsS -X POST --data "$1" "http://127.0.0.1:$cport/config" >/dev/null
}
sstat() { # sstat STREAM FIELD: a stand-in counter
	curl -fsS "http://127.0.0.1:$cport/stats" | jq -r ".$1.$2"
}

# ---- keys the tests make up -----------------------------------------------------
# new_keys [TOKEN]: sets kid, ksecret, ktoken and lets the proxy accept them.
new_keys() {
	kid="AKIDTEST$(hex 6 | tr a-f A-F)"
	ksecret="testsecret$(hex 20)"
	ktoken=""
	if [ "${1:-token}" = token ]; then
		ktoken="testtoken$(hex 40)"
		printf '{"access_key":"%s","secret":"%s","token":"%s"}\n' \
			"$kid" "$ksecret" "$ktoken" >>"$keys"
		printf '%s\n%s\n' "$ksecret" "$ktoken" >>"$secrets"
	else
		printf '{"access_key":"%s","secret":"%s"}\n' "$kid" \
			"$ksecret" >>"$keys"
		printf '%s\n' "$ksecret" >>"$secrets"
	fi
}

# A credential_process: cred-proc MODE LIFETIME DELAY WORD. MODE ok or
# fail; LIFETIME 0 gives keys without Expiration; WORD must be "two words"
# (checks the daemon split the command line like a shell would).
bindir="$work/bin dir"
mkdir -p "$bindir"
cat >"$bindir/cred-proc" <<EOF
#!/usr/bin/env bash
set -u
mode=\$1 lifetime=\$2 delay=\$3
if [ "\$4" != "two words" ]; then echo "bad argument: \$4" >&2; exit 3; fi
sleep "\$delay"
if [ "\$mode" = fail ]; then echo "cred-proc: no credentials today" >&2; exit 1; fi
rnd() { od -An -tx1 -N"\$1" /dev/urandom | tr -d ' \\n'; }
id=ASIAPR\$(rnd 6 | tr a-f A-F)
secret=procsecret\$(rnd 20)
token=proctoken\$(rnd 40)
now=\$(date +%s)
if [ "\$lifetime" -gt 0 ]; then
	exp=\$((now + lifetime))
	printf '{"access_key":"%s","secret":"%s","token":"%s","expires":%s000,"issued":%s,"stream":"process"}\\n' \\
		"\$id" "\$secret" "\$token" "\$exp" "\$(date +%s%3N)" >>"$keys"
	printf '%s\\n%s\\n' "\$secret" "\$token" >>"$secrets"
	printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "%s", "Expiration": "%s"}\\n' \\
		"\$id" "\$secret" "\$token" "\$(date -u -d @\$exp +%Y-%m-%dT%H:%M:%SZ)"
else
	printf '{"access_key":"%s","secret":"%s","token":"%s"}\\n' "\$id" "\$secret" "\$token" >>"$keys"
	printf '%s\\n%s\\n' "\$secret" "\$token" >>"$secrets"
	printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "%s"}\\n' \\
		"\$id" "\$secret" "\$token"
fi
EOF
chmod +x "$bindir/cred-proc"
proc_cmd() { # proc_cmd MODE LIFETIME DELAY: a credential_process line
	printf '"%s/cred-proc" %s %s %s '"'"'two words'"'" "$bindir" "$1" "$2" "$3"
}

# ---- daemons ------------------------------------------------------------------------
std_args=(--endpoint "$endpoint" --region us-east-1)

# start NAME [VAR=VALUE...] [-- DAEMON-ARGS...]: a daemon with only these
# variables (and PATH, HOME=$work/NAME, IMDS disabled unless overridden).
# Without DAEMON-ARGS: the proxy's endpoint and us-east-1.
start() {
	local name=$1 sock=$work/$1.sock
	shift
	local envs=() args=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	if [ $# -gt 0 ]; then shift; args=("$@"); else args=("${std_args[@]}"); fi
	mkdir -p "$work/$name"
	rm -f "$sock"
	# shellcheck disable=SC2086 # the wrapper is a command line on purpose
	env -i PATH="$PATH" HOME="$work/$name" NO_PROXY='*' no_proxy='*' \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
		AWS_EC2_METADATA_DISABLED=true "${envs[@]}" \
		$wrapper "$daemon_bin" --socket "$sock" --log-level debug "${args[@]}" \
		</dev/null >"$work/$name.log" 2>&1 &
	pids[$name]=$!
	for _ in $(seq $((100 * slow))); do
		[ -S "$sock" ] && return 0
		kill -0 "${pids[$name]}" 2>/dev/null || break
		sleep 0.1
	done
	fail "$name: daemon did not start" "$(tail -n 3 "$work/$name.log" | tr '\n' ' ')"
	return 1
}

# stop NAME: SIGTERM; the daemon must exit 0, its log free of sanitizer
# reports.
stop() {
	local name=$1 pid=${pids[$1]:-} st
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq $((100 * slow))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		fail "$name: exits on SIGTERM"
	fi
	wait "$pid"
	st=$?
	unset "pids[$name]"
	if [ "$st" -ne 0 ]; then
		fail "$name: exit status 0 after SIGTERM" "status $st"
	fi
	if grep -Eq 'ERROR: (Address|Leak|Memory)Sanitizer|runtime error:|== ?ERROR SUMMARY: [1-9]' \
		"$work/$name.log"; then
		fail "$name: no sanitizer or valgrind report"
	fi
}

# call NAME OP [ARGS]: the last reply in $work/reply (all go to $replies).
call() {
	local name=$1 op=$2
	shift 2
	timeout -k 2 $((30 * slow)) "$dtcall" "$work/$name.sock" "$op" "$@" \
		>"$work/reply" 2>"$work/reply.err"
	cat "$work/reply" >>"$replies"
}
reply() { tail -n 1 "$work/reply" | jq -r "$1"; }
status() { call "$1" status && reply ".result.$2"; }

# The key id a stand-in or cred-proc issued last with this prefix.
last_issued() { grep -o "\"access_key\":\"$1[A-Z0-9]*\"" "$keys" | tail -n 1 | cut -d'"' -f4; }

# expect_keys NAME SOURCE KEYID: list_tables succeeds, signed with KEYID
# (seen by the proxy), and status names SOURCE and KEYID's last four.
# KEYID PREFIX* means the keys issued last with that prefix, once the
# daemon has them.
expect_keys() {
	local name=$1 source=$2 id=$3 before after
	before=$(grep -c . "$requests")
	call "$name" list_tables
	[ "$(reply .ok)" = true ]
	check "$name: list_tables succeeds" "$(cat "$work/reply" "$work/reply.err")"
	case $id in *\*) id=$(last_issued "${id%\*}") ;; esac
	before=$(head -n "$before" "$requests" | grep -c "\"akid\":\"$id\"")
	after=$(grep -c "\"akid\":\"$id\"" "$requests")
	[ "$after" -gt "$before" ]
	# Only the tail: what the tests print is swept for full key ids too.
	check "$name: requests signed with the key id ending ${id: -4}"
	[ "$(status "$name" credentials.source)" = "$source" ]
	check "$name: credentials from $source" "$(reply .result.credentials)"
	[ "$(reply .result.credentials.key_id_tail)" = "${id: -4}" ]
	check "$name: status shows the key id's last four characters"
}

# expect_no_creds NAME WORDS: list_tables fails with CREDENTIALS whose
# message mentions WORDS.
expect_no_creds() {
	call "$1" list_tables
	[ "$(reply .ok)" = false ] && [ "$(reply .error.name)" = CREDENTIALS ]
	check "$1: CREDENTIALS error" "$(cat "$work/reply")"
	reply .error.message | grep -qF -- "$2"
	check "$1: the message says why ($2)" "$(reply .error.message)"
}


# ---- 1. each provider --------------------------------------------------------------
echo "# each provider"
new_keys
start env AWS_ACCESS_KEY_ID="$kid" AWS_SECRET_ACCESS_KEY="$ksecret" \
	AWS_SESSION_TOKEN="$ktoken" && expect_keys env environment "$kid"
stop env

new_keys notoken
mkdir -p "$work/credsdir"
printf '%s\n' "$kid" >"$work/credsdir/aws_access_key_id"
printf '%s\n' "$ksecret" >"$work/credsdir/aws_secret_access_key"
start systemd CREDENTIALS_DIRECTORY="$work/credsdir" &&
	expect_keys systemd systemd-credentials "$kid"
stop systemd

new_keys
default_id=$kid
mkdir -p "$work/files/.aws"
{
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n\n' \
		"$kid" "$ksecret" "$ktoken"
	new_keys
	dev_id=$kid
	printf '# a comment\n[dev]\naws_access_key_id=%s\naws_secret_access_key=%s\naws_session_token=%s\n' \
		"$kid" "$ksecret" "$ktoken"
} >"$work/files/.aws/credentials"
new_keys notoken
cfg_id=$kid
cat >"$work/files/.aws/config" <<EOF
[default]
region = us-east-1

[profile cfg]
aws_access_key_id = $kid
aws_secret_access_key = $ksecret

[profile empty]
region = us-east-1
EOF
start files HOME="$work/files" && expect_keys files shared-credentials-file "$default_id"
stop files
start files_dev HOME="$work/files" AWS_PROFILE=dev &&
	expect_keys files_dev shared-credentials-file "$dev_id"
stop files_dev
start files_cfg HOME="$work/files" AWS_PROFILE=cfg &&
	expect_keys files_cfg config-file "$cfg_id"
stop files_cfg
# A named profile inherits nothing from [default].
start files_empty HOME="$work/files" AWS_PROFILE=empty &&
	expect_no_creds files_empty "no credentials found"
stop files_empty

cat >"$work/proc.config" <<EOF
[profile proc]
credential_process = $(proc_cmd ok 3600 0)
EOF
start proc AWS_CONFIG_FILE="$work/proc.config" AWS_PROFILE=proc &&
	expect_keys proc credential-process 'ASIAPR*'
[ "$(status proc credentials.expires)" -gt "$(date +%s)" ]
check "proc: status shows when the keys expire"
stop proc

start webid AWS_WEB_IDENTITY_TOKEN_FILE="$work/web-token" \
	AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci \
	AWS_ROLE_SESSION_NAME=dyntable-test \
	AWS_ENDPOINT_URL_STS="$standins/sts" &&
	expect_keys webid web-identity 'ASIAST*'
stop webid
cat >"$work/webid.config" <<EOF
[profile wi]
web_identity_token_file = $work/web-token
role_arn = arn:aws:iam::123456789012:role/ci
EOF
start webid_profile AWS_CONFIG_FILE="$work/webid.config" AWS_PROFILE=wi \
	AWS_ENDPOINT_URL_STS="$standins/sts" &&
	expect_keys webid_profile web-identity 'ASIAST*'
stop webid_profile

start container AWS_CONTAINER_CREDENTIALS_FULL_URI="$standins/container/creds" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$work/container-token" &&
	expect_keys container container 'ASIACO*'
stop container
start container_env AWS_CONTAINER_CREDENTIALS_FULL_URI="$standins/container/creds" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN="$container_token" &&
	expect_keys container_env container 'ASIACO*'
stop container_env

start imds AWS_EC2_METADATA_DISABLED=false \
	AWS_EC2_METADATA_SERVICE_ENDPOINT="$standins" &&
	expect_keys imds imds 'ASIAIM*'
stop imds
control '{"imds": {"token_status": 403}}'
start imds_v1 AWS_EC2_METADATA_DISABLED=false \
	AWS_EC2_METADATA_SERVICE_ENDPOINT="$standins/" &&
	expect_keys imds_v1 imds 'ASIAIM*'
stop imds_v1
start imds_v1_off AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_V1_DISABLED=true \
	AWS_EC2_METADATA_SERVICE_ENDPOINT="$standins" &&
	expect_no_creds imds_v1_off "IMDSv1 is disabled"
stop imds_v1_off
control '{"imds": {"token_status": 200}}'

# ---- 2. precedence: the first that yields wins -----------------------------------------
echo "# precedence"
new_keys
env_id=$kid
all_env=(AWS_ACCESS_KEY_ID="$kid" AWS_SECRET_ACCESS_KEY="$ksecret" AWS_SESSION_TOKEN="$ktoken")
new_keys notoken
sd_id=$kid
mkdir -p "$work/credsdir2"
printf '%s' "$kid" >"$work/credsdir2/aws_access_key_id"
printf '%s' "$ksecret" >"$work/credsdir2/aws_secret_access_key"
new_keys notoken
file_id=$kid
mkdir -p "$work/all/.aws"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$kid" "$ksecret" \
	>"$work/all/.aws/credentials"
printf '[default]\ncredential_process = %s\nweb_identity_token_file = %s\nrole_arn = arn:aws:iam::123456789012:role/ci\n' \
	"$(proc_cmd ok 3600 0)" "$work/web-token" >"$work/all/.aws/config"
rest=(AWS_ENDPOINT_URL_STS="$standins/sts"
	AWS_CONTAINER_CREDENTIALS_FULL_URI="$standins/container/creds"
	AWS_CONTAINER_AUTHORIZATION_TOKEN="$container_token"
	AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$standins")
sts_before=$(sstat sts requests)
imds_before=$(sstat imds requests)
start p1 HOME="$work/all" "${all_env[@]}" CREDENTIALS_DIRECTORY="$work/credsdir2" "${rest[@]}" &&
	expect_keys p1 environment "$env_id"
stop p1
[ "$(sstat sts requests)" = "$sts_before" ] && [ "$(sstat imds requests)" = "$imds_before" ]
check "precedence: with keys in the environment, no endpoint is asked"
start p2 HOME="$work/all" CREDENTIALS_DIRECTORY="$work/credsdir2" "${rest[@]}" &&
	expect_keys p2 systemd-credentials "$sd_id"
stop p2
start p3 HOME="$work/all" "${rest[@]}" && expect_keys p3 shared-credentials-file "$file_id"
stop p3
rm "$work/all/.aws/credentials"
start p4 HOME="$work/all" "${rest[@]}" && expect_keys p4 credential-process 'ASIAPR*'
stop p4
printf '[default]\nweb_identity_token_file = %s\nrole_arn = arn:aws:iam::123456789012:role/ci\n' \
	"$work/web-token" >"$work/all/.aws/config"
start p5 HOME="$work/all" "${rest[@]}" && expect_keys p5 web-identity 'ASIAST*'
stop p5
rm "$work/all/.aws/config"
start p6 HOME="$work/all" "${rest[@]}" && expect_keys p6 container 'ASIACO*'
stop p6
start p7 HOME="$work/all" AWS_EC2_METADATA_DISABLED=false \
	AWS_EC2_METADATA_SERVICE_ENDPOINT="$standins" && expect_keys p7 imds 'ASIAIM*'
stop p7

# ---- 3. failing providers: the next one, or a clear error ------------------------------
echo "# failing providers"
printf '[default]\ncredential_process = %s\n' "$(proc_cmd fail 3600 0)" >"$work/fail.config"
start f1 AWS_CONFIG_FILE="$work/fail.config" AWS_WEB_IDENTITY_TOKEN_FILE="$work/web-token" \
	AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci AWS_ENDPOINT_URL_STS="$standins/sts" &&
	expect_keys f1 web-identity 'ASIAST*'
grep -q 'credential_process cred-proc: exited with status 1' "$work/f1.log"
check "f1: the failed credential_process is logged"
stop f1
start f2 AWS_WEB_IDENTITY_TOKEN_FILE="$work/no-such-file" \
	AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci AWS_ENDPOINT_URL_STS="$standins/sts" \
	AWS_CONTAINER_CREDENTIALS_FULL_URI="$standins/container/creds" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$work/container-token" &&
	expect_keys f2 container 'ASIACO*'
stop f2
control '{"container": {"fail": 500}}'
start f3 AWS_CONTAINER_CREDENTIALS_FULL_URI="$standins/container/creds" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$work/container-token" \
	AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$standins" &&
	expect_keys f3 imds 'ASIAIM*'
stop f3
control '{"imds": {"fail": 500}}'
start f4 AWS_CONFIG_FILE="$work/fail.config" \
	AWS_CONTAINER_CREDENTIALS_FULL_URI="$standins/container/creds" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$work/container-token" \
	AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$standins" &&
	expect_no_creds f4 "HTTP 500"
status f4 credentials.last_error | grep -q 'HTTP 500'
check "f4: status shows the last error"
stop f4
control '{"imds": {"fail": 0}, "container": {"fail": 0}}'
start f5 AWS_CONTAINER_CREDENTIALS_FULL_URI="$standins/container/creds" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-token &&
	expect_no_creds f5 "HTTP 401"
stop f5
# Plain http to a host that is neither loopback nor the container agent:
# refused before any connection is made.
start f6 AWS_CONTAINER_CREDENTIALS_FULL_URI=http://192.0.2.1/creds &&
	expect_no_creds f6 "refusing plain http"
stop f6
start f7 AWS_WEB_IDENTITY_TOKEN_FILE="$work/web-token" AWS_ROLE_ARN=arn:aws:iam::1:role/x \
	AWS_ENDPOINT_URL_STS=http://192.0.2.1/ && expect_no_creds f7 "refusing plain http"
stop f7

# ---- 4. requests that come before the first keys ------------------------------------
echo "# start-up"
printf '[default]\ncredential_process = %s\n' "$(proc_cmd ok 3600 1)" >"$work/slow.config"
start slow AWS_CONFIG_FILE="$work/slow.config" && call slow list_tables
[ "$(reply .ok)" = true ]
check "slow: a request made while the first keys are fetched waits for them" "$(cat "$work/reply")"
grep -q 'ListTables waits for credentials' "$work/slow.log"
check "slow: the daemon says the request waited"
stop slow
printf '[default]\ncredential_process = %s\n' "$(proc_cmd ok 3600 $((5 * slow)))" >"$work/slower.config"
start slower AWS_CONFIG_FILE="$work/slower.config" -- "${std_args[@]}" \
	--http-timeout-ms $((1000 * slow)) && expect_no_creds slower "still being fetched"
stop slower

# ---- 5. refresh of short-lived keys under load -----------------------------------------
echo "# refresh"
life=6
control "{\"imds\": {\"lifetime\": $life}, \"container\": {\"lifetime\": $life}, \"sts\": {\"lifetime\": $life}}"
printf '[default]\ncredential_process = %s\n' "$(proc_cmd ok $life 0)" >"$work/refresh.config"
log_start=$(wc -l <"$requests")
start r_proc AWS_CONFIG_FILE="$work/refresh.config"
start r_sts AWS_WEB_IDENTITY_TOKEN_FILE="$work/web-token" \
	AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci AWS_ENDPOINT_URL_STS="$standins/sts"
start r_container AWS_CONTAINER_CREDENTIALS_FULL_URI="$standins/container/creds" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$work/container-token"
start r_imds AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$standins"
load_pids=()
for n in r_proc r_sts r_container r_imds; do
	timeout -k 2 $((60 * slow)) "$dtcall" --repeat 150 --interval-ms 100 \
		"$work/$n.sock" list_tables >"$work/$n.load" 2>&1 &
	load_pids+=($!)
done
for p in "${load_pids[@]}"; do wait "$p"; done
for n in r_proc r_sts r_container r_imds; do
	cat "$work/$n.load" >>"$replies"
	[ "$(grep -c '"ok":true' "$work/$n.load")" -eq 150 ]
	check "$n: 150 calls over 15 s with keys living $life s all succeed" \
		"$(grep -v '"ok":true' "$work/$n.load" | head -n 2)"
	refreshes=$(grep -c 'credentials: from' "$work/$n.log")
	[ "$refreshes" -ge 3 ]
	check "$n: the keys were refreshed ($refreshes sets)"
done
tail -n +"$((log_start + 1))" "$requests" >"$work/refresh.requests"
[ "$(grep -c '"sig_ok":true' "$work/refresh.requests")" -eq "$(wc -l <"$work/refresh.requests")" ]
check "refresh: the proxy accepted every request (none signed with expired keys)" \
	"$(grep -v '"sig_ok":true' "$work/refresh.requests" | head -n 2)"
! grep -q '"stale_ms"' "$work/refresh.requests"
check "refresh: every request used the newest keys (none older than 2 s)" \
	"$(grep '"stale_ms"' "$work/refresh.requests" | head -n 2)"
for prefix in ASIAPR ASIAST ASIACO ASIAIM; do
	n=$(grep -o "\"akid\":\"$prefix[A-Z0-9]*\"" "$work/refresh.requests" | sort -u | wc -l)
	[ "$n" -ge 3 ]
	check "refresh: $prefix keys: $n different sets signed requests"
done
for n in r_proc r_container r_imds; do stop "$n"; done

# A failed refresh keeps the keys while they are valid, then the requests
# fail with CREDENTIALS, then the next retry recovers.
control '{"sts": {"fail": 500, "fail_count": 2}}'
call r_sts list_tables
sleep $((life / 2 + 2))
call r_sts list_tables
[ "$(reply .ok)" = true ]
check "r_sts: a failed refresh keeps the current keys" "$(cat "$work/reply")"
grep -q 'keeping the current keys from web-identity' "$work/r_sts.log"
check "r_sts: the daemon says it keeps them"
control '{"sts": {"fail": 500, "fail_count": null}}'
sleep $((life + 1))
expect_no_creds r_sts "expired"
control '{"sts": {"fail": 0}}'
ok=0
for _ in $(seq 30); do
	sleep 1
	call r_sts list_tables
	[ "$(reply .ok)" = true ] && ok=1 && break
done
[ "$ok" = 1 ]
check "r_sts: the keys come back once STS answers again"
stop r_sts
control '{"imds": {"lifetime": 3600}, "container": {"lifetime": 3600}, "sts": {"lifetime": 3600}}'

# ---- 6. SIGHUP ------------------------------------------------------------------------
echo "# SIGHUP"
mkdir -p "$work/hup/.aws"
new_keys
hup_a=$kid
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n' \
	"$kid" "$ksecret" "$ktoken" >"$work/hup/.aws/credentials"
printf '[default]\nregion = us-east-1\nendpoint_url = %s\n' "$endpoint" >"$work/hup/.aws/config"
start hup HOME="$work/hup" -- && expect_keys hup shared-credentials-file "$hup_a"
# A wait in flight across the reload: it must end with its own TIMEOUT.
timeout -k 2 $((30 * slow)) "$dtcall" "$work/hup.sock" wait_table_active \
	'{"name": "no-such-table-hup", "timeout_ms": 3000}' >"$work/hup.wait" 2>&1 &
wait_pid=$!
sleep 1
new_keys
hup_b=$kid
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n' \
	"$kid" "$ksecret" "$ktoken" >"$work/hup/.aws/credentials"
port=${endpoint##*:}
printf '[default]\nregion = eu-west-1\nservices = local\n[services local]\ndynamodb =\n  endpoint_url = http://localhost:%s\n' \
	"$port" >"$work/hup/.aws/config"
kill -HUP "${pids[hup]}"
sleep 0.5
expect_keys hup shared-credentials-file "$hup_b"
[ "$(status hup region)" = eu-west-1 ] && [ "$(reply .result.endpoint)" = "http://localhost:$port" ]
check "hup: the region and the endpoint from the config file's services section take effect" \
	"$(reply .result.region) $(reply .result.endpoint)"
[ "$(grep "\"akid\":\"$hup_b\"" "$requests" | tail -n 1 | jq -r .region)" = eu-west-1 ]
check "hup: new calls are signed for eu-west-1"
wait "$wait_pid"
[ "$(tail -n 1 "$work/hup.wait" | jq -r .error.name)" = TIMEOUT ]
check "hup: the wait in flight ends with its own TIMEOUT" "$(cat "$work/hup.wait")"
cat "$work/hup.wait" >>"$replies"
# A reload that finds nothing keeps the keys.
rm "$work/hup/.aws/credentials"
kill -HUP "${pids[hup]}"
sleep 0.5
expect_keys hup shared-credentials-file "$hup_b"
stop hup

# ---- 7. region and endpoint resolution ------------------------------------------------
# These daemons have no credentials: they send nothing anywhere.
echo "# region and endpoint"
endpoint_is() { # endpoint_is NAME URL REGION [VAR=VALUE...] [-- ARGS]
	local name=$1 url=$2 region=$3
	shift 3
	if start "$name" "$@"; then
		[ "$(status "$name" endpoint)" = "$url" ] && [ "$(reply .result.region)" = "$region" ]
		check "$name: endpoint $url, region $region" \
			"$(reply .result.endpoint) $(reply .result.region)"
		stop "$name"
	fi
}
endpoint_is e1 http://127.0.0.1:1/ddb us-east-1 AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:1/ddb \
	AWS_ENDPOINT_URL=http://127.0.0.1:2 --
endpoint_is e2 http://127.0.0.1:2 eu-west-1 AWS_ENDPOINT_URL=http://127.0.0.1:2 AWS_REGION=eu-west-1 \
	AWS_DEFAULT_REGION=us-west-2 --
printf '[profile svc]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:4\nservices = s\n[services s]\ndynamodb =\n  endpoint_url = http://127.0.0.1:3\n' \
	>"$work/svc.config"
endpoint_is e3 http://127.0.0.1:3 ap-south-1 AWS_CONFIG_FILE="$work/svc.config" AWS_PROFILE=svc --
endpoint_is e4 https://dynamodb.ap-south-1.amazonaws.com ap-south-1 AWS_CONFIG_FILE="$work/svc.config" \
	AWS_PROFILE=svc AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true AWS_ENDPOINT_URL=http://127.0.0.1:2 --
endpoint_is e5 https://dynamodb-fips.us-east-2.api.aws us-east-2 AWS_REGION=us-east-2 \
	AWS_USE_FIPS_ENDPOINT=true AWS_USE_DUALSTACK_ENDPOINT=true --
endpoint_is e6 https://dynamodb.cn-north-1.amazonaws.com.cn cn-north-1 AWS_DEFAULT_REGION=cn-north-1 --
endpoint_is e7 https://dynamodb.eu-west-1.amazonaws.com eu-west-1 AWS_REGION=us-east-1 -- --region eu-west-1
# Invalid combinations stop the daemon at start with a reason.
refused() { # refused NAME WORDS [VAR=VALUE...] [-- ARGS]
	local name=$1 words=$2 st
	shift 2
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	env -i PATH="$PATH" HOME="$work" "${envs[@]}" "$daemon_bin" \
		--socket "$work/$name.sock" "$@" >"$work/$name.log" 2>&1 </dev/null
	st=$?
	[ "$st" -eq 2 ] && grep -qF -- "$words" "$work/$name.log"
	check "$name: refused ($words)" "status $st: $(cat "$work/$name.log")"
}
refused x1 "FIPS and a custom endpoint" AWS_USE_FIPS_ENDPOINT=true -- --endpoint "$endpoint"
refused x2 "dual-stack is enabled, but the partition" AWS_REGION=us-iso-east-1 AWS_USE_DUALSTACK_ENDPOINT=true
refused x3 "no region" AWS_EC2_METADATA_DISABLED=true
refused x4 "refusing plain http" AWS_REGION=us-east-1 -- --endpoint http://192.0.2.1:8000
printf '[default]\nservices = missing\n' >"$work/nosvc.config"
refused x5 'services section "missing"' AWS_CONFIG_FILE="$work/nosvc.config" AWS_REGION=us-east-1

# ---- 8. no secret leaves the daemons --------------------------------------------------
echo "# secrets"
# Everything the stand-ins handed out too (and the cred-proc keys again).
jq -r '.secret, (.token // empty)' "$keys" >>"$secrets"
sort -u "$secrets" | grep . >"$secrets.sorted" && mv "$secrets.sorted" "$secrets"
n_secrets=$(grep -c . "$secrets")
[ "$n_secrets" -ge 100 ]
check "secrets: $n_secrets secrets were handed out by the providers"
leaks=$(grep -lF -f "$secrets" "$work"/*.log "$DYNTABLE_TEST_DAEMON_LOG" 2>/dev/null)
[ -z "$leaks" ]
check "secrets: none appears in any daemon log (all at debug level)" "$leaks"
! grep -qF -f "$secrets" "$replies"
check "secrets: none appears in any of the $(grep -c . "$replies") replies"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
