#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end tests of the SDKs' credential order and of the profiles that
# get keys elsewhere: assume-role (source_profile chains, credential_source)
# and IAM Identity Center (issue 18). Helpers: creds_lib.sh.
#
#   test_creds_profiles.sh PATH/TO/dyntabled PATH/TO/dtcall
#
# Run it through the harness, which starts dynalite behind its recording,
# signature-checking proxy and exports what this script reads:
#   tests/e2e/harness.sh BUILD/daemon/dyntabled -- \
#       bash tests/e2e/test_creds_profiles.sh BUILD/daemon/dyntabled BUILD/tests/e2e/dtcall
#
# This script starts its own daemons, one per configuration, each with a
# controlled environment (env -i), against the same proxy, plus
# tests/tools/aws-standins.js for the metadata, container, STS (also
# AssumeRole, its SigV4 signature checked), SSO OIDC and SSO portal
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
creds_work=creds_profiles
# shellcheck source=tests/e2e/creds_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/creds_lib.sh"
life=6 # seconds the keys of the refresh section live

# ---- 1. the SDKs' order, row by row ---------------------------------------------------
# Each row: a configuration, the provider that must win, and the SDK
# behaviour it follows (docs/CREDENTIALS.md has the reasons).
echo "# order"
new_keys
ord_env=$kid
ord_env_vars=(AWS_ACCESS_KEY_ID="$kid" AWS_SECRET_ACCESS_KEY="$ksecret" AWS_SESSION_TOKEN="$ktoken")
new_keys notoken
ord_file=$kid
mkdir -p "$work/order/.aws"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n[named]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$kid" "$ksecret" "$kid" "$ksecret" >"$work/order/.aws/credentials"
printf '[default]\nregion = us-east-1\n[profile named]\nregion = us-east-1\n' >"$work/order/.aws/config"
ord_wi=(AWS_WEB_IDENTITY_TOKEN_FILE="$work/web-token" AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci
	AWS_ENDPOINT_URL_STS="$standins/sts")
# order_row NAME SOURCE KEYID CITATION -- VAR=VALUE...
order_row() {
	local name=$1 source=$2 id=$3 cite=$4
	shift 5
	echo "#   $name: $cite"
	start "$name" HOME="$work/order" "$@" && expect_keys "$name" "$source" "$id"
	stop "$name"
}
order_row o1 environment "$ord_env" \
	"botocore EnvProvider first; Java v2 EnvironmentVariableCredentialsProvider first; Go v2 envConfig.Credentials first" \
	-- "${ord_env_vars[@]}" "${ord_wi[@]}"
order_row o2 environment "$ord_env" \
	"AWS_PROFILE does not beat environment keys: botocore (only Session(profile=) does), Java v2, Go v2 (only WithSharedConfigProfile does)" \
	-- "${ord_env_vars[@]}" AWS_PROFILE=named
order_row o3 web-identity 'ASIAST*' \
	"environment web identity before the shared files' keys: Java v2 WebIdentityTokenFileCredentialsProvider before ProfileCredentialsProvider; Go v2 before resolveCredsFromProfile; botocore web identity before shared-credentials-file" \
	-- "${ord_wi[@]}"
order_row o4 web-identity 'ASIAST*' \
	"environment web identity also before a named profile's keys (Java v2, Go v2)" \
	-- "${ord_wi[@]}" AWS_PROFILE=named
# (o6, in section 2: an assume-role profile with keys of its own assumes
# the role: botocore AssumeRoleProvider before SharedCredentialProvider,
# Java v2 ProfileCredentialsUtils role_arn before static keys, Go v2
# resolveCredsFromProfile then credsFromAssumeRole.)
order_row o5 shared-credentials-file "$ord_file" \
	"the profile's keys before the container endpoint (all three)" \
	-- AWS_CONTAINER_CREDENTIALS_FULL_URI="$standins/container/creds" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$work/container-token"

# ---- 2. assume-role profiles and IAM Identity Center --------------------------------
echo "# assume-role and IAM Identity Center"
acct=123456789012
new_keys notoken
base_id=$kid
base_secret=$ksecret
new_keys notoken
self_id=$kid
self_secret=$ksecret
sso_acct=111122223333
corp_url=https://corp.awsapps.example/start
legacy_url=https://legacy.awsapps.example/start
roles=$work/roles
mkdir -p "$roles/.aws/sso/cache"
cat >"$roles/.aws/credentials" <<EOC
[base]
aws_access_key_id = $base_id
aws_secret_access_key = $base_secret

[self]
aws_access_key_id = $self_id
aws_secret_access_key = $self_secret
EOC
cat >"$roles/.aws/config" <<EOC
[default]
region = us-east-1

[profile ar]
role_arn = arn:aws:iam::$acct:role/ar
source_profile = base
role_session_name = dyntable-ar
external_id = ext-1234
duration_seconds = 900

[profile chain]
role_arn = arn:aws:iam::$acct:role/chain
source_profile = ar

[profile self]
role_arn = arn:aws:iam::$acct:role/self
source_profile = self

[profile envsrc]
role_arn = arn:aws:iam::$acct:role/envsrc
credential_source = Environment

[profile ecssrc]
role_arn = arn:aws:iam::$acct:role/ecssrc
credential_source = EcsContainer

[profile imdssrc]
role_arn = arn:aws:iam::$acct:role/imdssrc
credential_source = Ec2InstanceMetadata

[profile procbase]
credential_process = $(proc_cmd ok 3600 0)

[profile procsrc]
role_arn = arn:aws:iam::$acct:role/procsrc
source_profile = procbase

[profile wibase]
web_identity_token_file = $work/web-token
role_arn = arn:aws:iam::$acct:role/ci

[profile wisrc]
role_arn = arn:aws:iam::$acct:role/wisrc
source_profile = wibase

[profile regionalsts]
role_arn = arn:aws:iam::$acct:role/regional
source_profile = base
region = eu-west-1

[profile legacysts]
role_arn = arn:aws:iam::$acct:role/legacy
source_profile = base
region = eu-west-1
sts_regional_endpoints = legacy

[profile missing]
role_arn = arn:aws:iam::$acct:role/missing
source_profile = nosuch

[profile cyc1]
role_arn = arn:aws:iam::$acct:role/cyc1
source_profile = cyc2

[profile cyc2]
role_arn = arn:aws:iam::$acct:role/cyc2
source_profile = cyc1

[profile mfa]
role_arn = arn:aws:iam::$acct:role/mfa
source_profile = base
mfa_serial = arn:aws:iam::$acct:mfa/someone

[sso-session corp]
sso_start_url = $corp_url
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile dev]
sso_session = corp
sso_account_id = $sso_acct
sso_role_name = dev-role

[profile legacy]
sso_start_url = $legacy_url
sso_region = us-east-1
sso_account_id = $sso_acct
sso_role_name = dev-role

[profile ssorole]
role_arn = arn:aws:iam::$acct:role/from-sso
source_profile = dev

[profile wrongrole]
sso_session = corp
sso_account_id = $sso_acct
sso_role_name = other-role
EOC
# The cache file names as the AWS CLI v2 computes them (botocore
# SSOTokenLoader: SHA-1 hex of the session name, or of the start URL).
corp_cache=$roles/.aws/sso/cache/$(printf '%s' corp | sha1sum | cut -d' ' -f1).json
legacy_cache=$roles/.aws/sso/cache/$(printf '%s' "$legacy_url" | sha1sum | cut -d' ' -f1).json
sso_access="ssoaccess$(hex 24)"
sso_refresh="ssorefresh$(hex 24)"
sso_client_secret="ssoclientsecret$(hex 24)"
printf '%s\n%s\n%s\n' "$sso_access" "$sso_refresh" "$sso_client_secret" >>"$secrets"
iso_in() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ; }
# sso_cache FILE START_URL TOKEN EXPIRES_IN [REFRESH]: a cache as aws sso
# login writes it (with a client registration when REFRESH is given).
sso_cache() {
	if [ -n "${5:-}" ]; then
		jq -n --arg u "$2" --arg t "$3" --arg e "$(iso_in "$4")" --arg r "$5" \
			--arg s "$sso_client_secret" --arg re "$(iso_in 86400)" \
			'{startUrl: $u, region: "us-east-1", accessToken: $t, expiresAt: $e,
			  clientId: "dyntable-test-client", clientSecret: $s,
			  registrationExpiresAt: $re, refreshToken: $r}' >"$1"
	else
		jq -n --arg u "$2" --arg t "$3" --arg e "$(iso_in "$4")" \
			'{startUrl: $u, region: "us-east-1", accessToken: $t, expiresAt: $e}' >"$1"
	fi
	chmod 600 "$1"
}
control "{\"sso\": {\"access_token\": \"$sso_access\", \"access_expires\": $((($(date +%s) + 3600) * 1000)),
	\"refresh_token\": \"$sso_refresh\", \"client_id\": \"dyntable-test-client\",
	\"client_secret\": \"$sso_client_secret\", \"account_id\": \"$sso_acct\",
	\"role_name\": \"dev-role\", \"token_lifetime\": 3600}}"
sso_cache "$corp_cache" "$corp_url" "$sso_access" 3600 "$sso_refresh"
sso_cache "$legacy_cache" "$legacy_url" "$sso_access" 3600
role_env=(HOME="$roles" AWS_ENDPOINT_URL_STS="$standins/sts"
	AWS_ENDPOINT_URL_SSO="$standins/portal" AWS_ENDPOINT_URL_SSO_OIDC="$standins/oidc")
# The AssumeRole calls the STS stand-in saw (JSON lines, oldest first).
assume_calls() { curl -fsS "http://127.0.0.1:$cport/stats" | jq -c '.assume.calls[]'; }
last_call() { assume_calls | tail -n "${1:-1}" | head -n 1; }
arn() { printf 'arn:aws:iam::%s:role/%s' "$acct" "$1"; }

start ar "${role_env[@]}" AWS_PROFILE=ar &&
	expect_keys ar "static-keys(profile base) -> assume-role($(arn ar))" 'ASIAAS*'
call_ar=$(last_call)
[ "$(jq -r .akid <<<"$call_ar")" = "$base_id" ] && [ "$(jq -r .ok <<<"$call_ar")" = true ]
check "ar: AssumeRole was signed (SigV4, checked by the stand-in) with the source profile's keys" "$call_ar"
[ "$(jq -r '[.session, .external_id, .duration, .role_arn] | join(" ")' <<<"$call_ar")" = \
	"dyntable-ar ext-1234 900 $(arn ar)" ]
check "ar: role_session_name, external_id and duration_seconds are sent" "$call_ar"
stop ar

start chain "${role_env[@]}" AWS_PROFILE=chain &&
	expect_keys chain "static-keys(profile base) -> assume-role($(arn ar)) -> assume-role($(arn chain))" 'ASIAAS*'
first=$(last_call 2)
second=$(last_call 1)
[ "$(jq -r .akid <<<"$first")" = "$base_id" ] && [ "$(jq -r .role_arn <<<"$first")" = "$(arn ar)" ] &&
	[ "$(jq -r .role_arn <<<"$second")" = "$(arn chain)" ] &&
	[ "$(jq -r .akid <<<"$second")" != "$base_id" ] &&
	grep -q "\"access_key\":\"$(jq -r .akid <<<"$second")\".*\"stream\":\"assume\"" "$keys"
check "chain: the outer role is assumed with the inner role's keys" "$first $second"
stop chain

echo "#   o6: an assume-role profile with keys of its own assumes the role (botocore, Java v2, Go v2)"
start self "${role_env[@]}" AWS_PROFILE=self &&
	expect_keys self "static-keys(profile self) -> assume-role($(arn self))" 'ASIAAS*'
[ "$(last_call | jq -r .akid)" = "$self_id" ]
check "self: a profile with keys may be its own source_profile"
stop self

# credential_source = Environment: the environment's keys are first in
# the chain anyway (all three SDKs), so they win as themselves; without
# them the profile fails and says why.
new_keys
start envsrc "${role_env[@]}" AWS_PROFILE=envsrc AWS_ACCESS_KEY_ID="$kid" \
	AWS_SECRET_ACCESS_KEY="$ksecret" AWS_SESSION_TOKEN="$ktoken" &&
	expect_keys envsrc environment "$kid"
stop envsrc
start envsrc_none "${role_env[@]}" AWS_PROFILE=envsrc &&
	expect_no_creds envsrc_none "assume-role: profile envsrc: environment: AWS_ACCESS_KEY_ID"
stop envsrc_none
start ecssrc "${role_env[@]}" AWS_PROFILE=ecssrc \
	AWS_CONTAINER_CREDENTIALS_FULL_URI="$standins/container/creds" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$work/container-token" &&
	expect_keys ecssrc "container -> assume-role($(arn ecssrc))" 'ASIAAS*'
last_call | jq -r .akid | grep -q '^ASIACO'
check "ecssrc: AssumeRole signed with the container's keys"
stop ecssrc
start imdssrc "${role_env[@]}" AWS_PROFILE=imdssrc AWS_EC2_METADATA_DISABLED=false \
	AWS_EC2_METADATA_SERVICE_ENDPOINT="$standins" &&
	expect_keys imdssrc "imds -> assume-role($(arn imdssrc))" 'ASIAAS*'
last_call | jq -r .akid | grep -q '^ASIAIM'
check "imdssrc: AssumeRole signed with the instance metadata keys"
stop imdssrc

start procsrc "${role_env[@]}" AWS_PROFILE=procsrc &&
	expect_keys procsrc "credential-process(profile procbase) -> assume-role($(arn procsrc))" 'ASIAAS*'
last_call | jq -r .akid | grep -q '^ASIAPR'
check "procsrc: AssumeRole signed with the source profile's credential_process keys"
stop procsrc
start wisrc "${role_env[@]}" AWS_PROFILE=wisrc &&
	expect_keys wisrc "web-identity(profile wibase) -> assume-role($(arn wisrc))" 'ASIAAS*'
last_call | jq -r .akid | grep -q '^ASIAST'
check "wisrc: AssumeRole signed with the source profile's web identity keys"
stop wisrc

oidc_before=$(sstat oidc requests)
start dev "${role_env[@]}" AWS_PROFILE=dev && expect_keys dev "sso(profile dev)" 'ASIASS*'
[ "$(sstat oidc requests)" = "$oidc_before" ]
check "dev: a token valid for an hour is used as it is (no CreateToken)"
stop dev
start legacy "${role_env[@]}" AWS_PROFILE=legacy &&
	expect_keys legacy "sso(profile legacy)" 'ASIASS*'
stop legacy
start ssorole "${role_env[@]}" AWS_PROFILE=ssorole &&
	expect_keys ssorole "sso(profile dev) -> assume-role($(arn from-sso))" 'ASIAAS*'
last_call | jq -r .akid | grep -q '^ASIASS'
check "ssorole: AssumeRole signed with the IAM Identity Center role's keys"
stop ssorole

# A token about to expire, with a refresh token: CreateToken, and the
# cache written back (mode 0600) with the new token.
soon="ssoaccess$(hex 24)"
printf '%s\n' "$soon" >>"$secrets"
control "{\"sso\": {\"access_token\": \"$soon\", \"access_expires\": $((($(date +%s) + 300) * 1000))}}"
sso_cache "$corp_cache" "$corp_url" "$soon" 300 "$sso_refresh"
oidc_before=$(sstat oidc requests)
start dev_refresh "${role_env[@]}" AWS_PROFILE=dev && expect_keys dev_refresh "sso(profile dev)" 'ASIASS*'
[ "$(sstat oidc requests)" -gt "$oidc_before" ] &&
	[ "$(jq -r .accessToken "$corp_cache")" != "$soon" ] &&
	[ "$(jq -r .refreshToken "$corp_cache")" != "$sso_refresh" ] &&
	[ "$(jq -r .startUrl "$corp_cache")" = "$corp_url" ] &&
	[ "$(stat -c %a "$corp_cache")" = 600 ]
check "dev_refresh: the token is refreshed and the cache rewritten (mode $(stat -c %a "$corp_cache"))"
[ "$(find "$roles/.aws/sso/cache" -type f | wc -l)" = 2 ]
check "dev_refresh: no temporary file is left in the cache directory"
stop dev_refresh

# Failures: each one named, with what to do.
start missing "${role_env[@]}" AWS_PROFILE=missing &&
	expect_no_creds missing "source_profile nosuch is in neither"
stop missing
start cyc "${role_env[@]}" AWS_PROFILE=cyc1 &&
	expect_no_creds cyc "source_profile cycle cyc1 -> cyc2 -> cyc1"
stop cyc
start mfa "${role_env[@]}" AWS_PROFILE=mfa &&
	expect_no_creds mfa "cannot prompt for an MFA code"
stop mfa
sso_cache "$legacy_cache" "$legacy_url" "$sso_access" -60
start sso_expired "${role_env[@]}" AWS_PROFILE=legacy &&
	expect_no_creds sso_expired 'run `aws sso login --profile legacy`'
stop sso_expired
sso_cache "$legacy_cache" "$legacy_url" "ssoaccessunknown$(hex 16)" 3600
jq -r .accessToken "$legacy_cache" >>"$secrets"
start sso_401 "${role_env[@]}" AWS_PROFILE=legacy &&
	expect_no_creds sso_401 "rejected the cached token (HTTP 401): run \`aws sso login --profile legacy\`"
stop sso_401
start sso_403 "${role_env[@]}" AWS_PROFILE=wrongrole && expect_no_creds sso_403 "HTTP 403"
stop sso_403
# CreateToken refuses the refresh token: an expired login says to log in
# again; a login still valid serves meanwhile.
bad_refresh="ssorefreshwrong$(hex 16)"
printf '%s\n' "$bad_refresh" >>"$secrets"
sso_cache "$corp_cache" "$corp_url" "$sso_access" -60 "$bad_refresh"
start sso_norefresh "${role_env[@]}" AWS_PROFILE=dev &&
	expect_no_creds sso_norefresh "the login expired and refreshing it failed (SSO OIDC CreateToken: HTTP 400): run \`aws sso login --profile dev\`"
stop sso_norefresh
sso_cache "$corp_cache" "$corp_url" "$sso_access" 300 "$bad_refresh"
start sso_stale "${role_env[@]}" AWS_PROFILE=dev && expect_keys sso_stale "sso(profile dev)" 'ASIASS*'
grep -q 'SSO OIDC CreateToken: HTTP 400; the cached token is valid' "$work/sso_stale.log"
check "sso_stale: a failed refresh still uses the token while it is valid"
[ "$(jq -r .accessToken "$corp_cache")" = "$sso_access" ]
check "sso_stale: the cache is left as it was"
stop sso_stale
# The default STS endpoint follows the profile's region and
# sts_regional_endpoints. No AWS address is contacted: the daemon's proxy
# is a closed loopback port, so the call fails naming the URL it chose.
dead_proxy=(HOME="$roles" HTTPS_PROXY=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9
	NO_PROXY= no_proxy=)
start regionalsts "${dead_proxy[@]}" AWS_PROFILE=regionalsts &&
	expect_no_creds regionalsts "profile regionalsts: https://sts.eu-west-1.amazonaws.com: "
stop regionalsts
start legacysts "${dead_proxy[@]}" AWS_PROFILE=legacysts &&
	expect_no_creds legacysts "profile legacysts: https://sts.amazonaws.com: "
stop legacysts
control '{"assume": {"fail": 403}}'
start sts_denied "${role_env[@]}" AWS_PROFILE=ar &&
	expect_no_creds sts_denied "STS AssumeRole: HTTP 403: STS error AccessDenied"
# Issue 17: with nothing anywhere, every provider and why.
reply .error.message | grep -q 'environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set;.*imds: disabled'
check "sts_denied: the error lists every provider tried and why" "$(reply .error.message)"
status sts_denied credentials.last_error | grep -q 'assume-role: profile ar: STS AssumeRole'
check "sts_denied: so does status"
stop sts_denied
control '{"assume": {"fail": 0}}'

# Refresh under load: assumed-role and IAM Identity Center keys living
# 6 s, 100 calls over 10 s each; every call succeeds, every AssumeRole is
# signed with live source keys, every DynamoDB request with live keys.
control "{\"assume\": {\"lifetime\": $life}, \"sso\": {\"lifetime\": $life}}"
sso_cache "$corp_cache" "$corp_url" "$sso_access" 3600 "$sso_refresh"
log_start=$(wc -l <"$requests")
calls_before=$(assume_calls | wc -l)
for n in rr_chain rr_sso rr_ssorole; do
	case $n in rr_chain) p=chain ;; rr_sso) p=dev ;; rr_ssorole) p=ssorole ;; esac
	start "$n" "${role_env[@]}" AWS_PROFILE="$p"
done
load_pids=()
for n in rr_chain rr_sso rr_ssorole; do
	timeout -k 2 $((60 * slow)) "$dtcall" --repeat 100 --interval-ms 100 \
		"$work/$n.sock" list_tables >"$work/$n.load" 2>&1 &
	load_pids+=($!)
done
for p in "${load_pids[@]}"; do wait "$p"; done
for n in rr_chain rr_sso rr_ssorole; do
	load_ok "$n" 100
	stop "$n"
done
signed_ok roles "$log_start"
assume_calls | tail -n +"$((calls_before + 1))" >"$work/roles.calls"
[ "$(grep -c . "$work/roles.calls")" -ge 6 ] && ! grep -q '"ok":false' "$work/roles.calls"
check "role refresh: $(grep -c . "$work/roles.calls") AssumeRole calls, each signed with live source keys" \
	"$(grep '"ok":false' "$work/roles.calls" | head -n 2)"
control '{"assume": {"lifetime": 3600}, "sso": {"lifetime": 3600}}'

creds_finish 50
