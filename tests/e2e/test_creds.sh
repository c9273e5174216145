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
creds_work=creds
# shellcheck source=tests/e2e/creds_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/creds_lib.sh"

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
# The profile's web_identity_token_file before its keys and its
# credential_process (botocore's order within a profile).
start p3 HOME="$work/all" "${rest[@]}" && expect_keys p3 web-identity 'ASIAST*'
stop p3
printf '[default]\ncredential_process = %s\n' "$(proc_cmd ok 3600 0)" >"$work/all/.aws/config"
start p3b HOME="$work/all" "${rest[@]}" && expect_keys p3b shared-credentials-file "$file_id"
stop p3b
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
start f1 AWS_CONFIG_FILE="$work/fail.config" \
	AWS_CONTAINER_CREDENTIALS_FULL_URI="$standins/container/creds" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$work/container-token" &&
	expect_keys f1 container 'ASIACO*'
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
	load_ok "$n" 150
done
signed_ok refresh "$log_start"
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

creds_finish 100
