/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the pure pieces of issue 4: the shared config and
 * credentials files (profiles, services sections), credential_process /
 * container / IMDS JSON, STS XML, dates, command splitting, default
 * endpoints (FIPS, dual-stack, partitions) and the resolution order of
 * region and endpoint (config_load with the environment and a config file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "creds_int.h"

/* ---- dates ------------------------------------------------------------------- */

static void
test_parse_time(void **state)
{
	time_t t;

	assert_int_equal(creds_parse_time("2024-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 1704067200);
	assert_int_equal(creds_parse_time("2024-01-01T00:00:00.123Z", &t), 0);
	assert_int_equal(t, 1704067200);
	assert_int_equal(creds_parse_time("2024-01-01T02:30:00+02:30", &t), 0);
	assert_int_equal(t, 1704067200);
	assert_int_equal(creds_parse_time("2023-12-31T23:00:00-0100", &t), 0);
	assert_int_equal(t, 1704067200);
	assert_int_equal(creds_parse_time("2024-01-01t00:00:00z", &t), 0);
	assert_int_equal(t, 1704067200);
	assert_int_equal(creds_parse_time("2024-01-01T00:00:00", &t), -1);
	assert_int_equal(creds_parse_time("2024-01-01", &t), -1);
	assert_int_equal(creds_parse_time("1704067200", &t), -1);
	assert_int_equal(creds_parse_time("2024-01-01T00:00:00Zjunk", &t), -1);
	assert_int_equal(creds_parse_time("2024-01-01T00:00:00.Z", &t), -1);
	assert_int_equal(creds_parse_time("", &t), -1);
	assert_int_equal(creds_parse_time(NULL, &t), -1);
}

/* ---- JSON -------------------------------------------------------------------- */

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define TOKEN  "IQoJb3JpZ2luX2VjEXAMPLETOKEN"

static void
test_json_process(void **state)
{
	const char *ok = "{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
	    "\"SecretAccessKey\": \"" SECRET "\", \"SessionToken\": \"" TOKEN
	    "\", \"Expiration\": \"2030-01-01T00:00:00Z\", \"AccountId\": "
	    "\"123456789012\"}";
	struct creds_keys k;
	char err[128];

	memset(&k, 0, sizeof(k));
	assert_int_equal(creds_parse_json(CREDS_JSON_PROCESS, ok, strlen(ok),
	    &k, err, sizeof(err)), 0);
	assert_string_equal(k.access_key_id, "AKIDPROC");
	assert_string_equal(k.secret_access_key, SECRET);
	assert_string_equal(k.session_token, TOKEN);
	assert_int_equal(k.expires, 1893456000);
	creds_keys_clear(&k);
	assert_null(k.access_key_id);
	assert_null(k.secret_access_key);

	/* No Expiration, no token: long-term keys. */
	ok = "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}";
	assert_int_equal(creds_parse_json(CREDS_JSON_PROCESS, ok, strlen(ok),
	    &k, err, sizeof(err)), 0);
	assert_null(k.session_token);
	assert_int_equal(k.expires, 0);
	creds_keys_clear(&k);
}

static void
test_json_bad(void **state)
{
	static const struct {
		enum creds_json_kind kind;
		const char *text;
		const char *why;
	} cases[] = {
		{ CREDS_JSON_PROCESS, "{\"Version\":2,\"AccessKeyId\":\"A\","
		  "\"SecretAccessKey\":\"" SECRET "\"}", "Version" },
		{ CREDS_JSON_PROCESS, "{\"Version\":\"1\",\"AccessKeyId\":\"A\","
		  "\"SecretAccessKey\":\"" SECRET "\"}", "Version" },
		{ CREDS_JSON_PROCESS, "{\"AccessKeyId\":\"A\","
		  "\"SecretAccessKey\":\"" SECRET "\"}", "Version" },
		{ CREDS_JSON_PROCESS, "{\"Version\":1,\"AccessKeyId\":\"A\"}",
		  "SecretAccessKey" },
		{ CREDS_JSON_PROCESS, "{\"Version\":1,\"SecretAccessKey\":\""
		  SECRET "\"}", "AccessKeyId" },
		{ CREDS_JSON_PROCESS, "{\"Version\":1,\"AccessKeyId\":\"A\","
		  "\"SecretAccessKey\":\"" SECRET "\",\"Expiration\":\"soon\"}",
		  "Expiration" },
		{ CREDS_JSON_PROCESS, "{\"Version\":1,\"AccessKeyId\":\"A\","
		  "\"SecretAccessKey\":\"" SECRET "\"", "not JSON" },
		{ CREDS_JSON_PROCESS, "[1]", "not a JSON object" },
		{ CREDS_JSON_CONTAINER, "{\"AccessKeyId\":\"A\","
		  "\"SecretAccessKey\":42}", "SecretAccessKey" },
		{ CREDS_JSON_IMDS, "{\"Code\":\"Failure\",\"AccessKeyId\":\"A\","
		  "\"SecretAccessKey\":\"" SECRET "\"}", "Code" },
	};
	struct creds_keys k;
	char err[128];

	memset(&k, 0, sizeof(k));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(creds_parse_json(cases[i].kind, cases[i].text,
		    strlen(cases[i].text), &k, err, sizeof(err)), -1);
		assert_non_null(strstr(err, cases[i].why));
		/* An error names the field, never a value. */
		assert_null(strstr(err, SECRET));
		assert_null(k.access_key_id);
		assert_null(k.secret_access_key);
	}
}

static void
test_json_container_imds(void **state)
{
	const char *c = "{\"AccessKeyId\":\"ASIAC\",\"SecretAccessKey\":\""
	    SECRET "\",\"Token\":\"" TOKEN "\",\"Expiration\":"
	    "\"2030-01-01T00:00:00Z\",\"RoleArn\":\"arn:aws:iam::1:role/x\"}";
	const char *m = "{\"Code\":\"Success\",\"LastUpdated\":"
	    "\"2029-12-31T18:00:00Z\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":"
	    "\"ASIAI\",\"SecretAccessKey\":\"" SECRET "\",\"Token\":\"" TOKEN
	    "\",\"Expiration\":\"2030-01-01T00:00:00Z\"}";
	struct creds_keys k;
	char err[128];

	memset(&k, 0, sizeof(k));
	assert_int_equal(creds_parse_json(CREDS_JSON_CONTAINER, c, strlen(c),
	    &k, err, sizeof(err)), 0);
	assert_string_equal(k.access_key_id, "ASIAC");
	assert_string_equal(k.session_token, TOKEN);
	assert_int_equal(k.expires, 1893456000);
	assert_int_equal(creds_parse_json(CREDS_JSON_IMDS, m, strlen(m), &k,
	    err, sizeof(err)), 0);
	assert_string_equal(k.access_key_id, "ASIAI");
	assert_string_equal(k.session_token, TOKEN);
	creds_keys_clear(&k);
	/* Container replies carry Token, not SessionToken. */
	c = "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
	    "\"SessionToken\":\"T\"}";
	assert_int_equal(creds_parse_json(CREDS_JSON_CONTAINER, c, strlen(c),
	    &k, err, sizeof(err)), 0);
	assert_null(k.session_token);
	creds_keys_clear(&k);
}

/* ---- STS XML ----------------------------------------------------------------- */

static void
test_sts_ok(void **state)
{
	const char *x =
	    "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws."
	    "com/doc/2011-06-15/\">\n"
	    "  <AssumeRoleWithWebIdentityResult>\n"
	    "    <SubjectFromWebIdentityToken>sub</SubjectFromWebIdentityToken>\n"
	    "    <AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn>"
	    "<AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>\n"
	    "    <Credentials>\n"
	    "      <AccessKeyId>ASIASTS</AccessKeyId>\n"
	    "      <SecretAccessKey>" SECRET "</SecretAccessKey>\n"
	    "      <SessionToken>" TOKEN "</SessionToken>\n"
	    "      <Expiration>2030-01-01T00:00:00Z</Expiration>\n"
	    "    </Credentials>\n"
	    "  </AssumeRoleWithWebIdentityResult>\n"
	    "  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\n"
	    "</AssumeRoleWithWebIdentityResponse>\n";
	struct creds_keys k;
	char err[160];

	memset(&k, 0, sizeof(k));
	assert_int_equal(creds_parse_sts(x, strlen(x), &k, err, sizeof(err)),
	    0);
	assert_string_equal(k.access_key_id, "ASIASTS");
	assert_string_equal(k.secret_access_key, SECRET);
	assert_string_equal(k.session_token, TOKEN);
	assert_int_equal(k.expires, 1893456000);
	creds_keys_clear(&k);
}

static void
test_sts_bad(void **state)
{
	static const struct {
		const char *text;
		const char *why;
	} cases[] = {
		{ "<ErrorResponse><Error><Type>Sender</Type><Code>"
		  "InvalidIdentityToken</Code><Message>Token expired</Message>"
		  "</Error><RequestId>x</RequestId></ErrorResponse>",
		  "STS error InvalidIdentityToken: Token expired" },
		{ "<R><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>"
		  SECRET "</SecretAccessKey></Credentials></R>", "lacks" },
		{ "<R><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>"
		  SECRET "</SecretAccessKey><SessionToken>T</SessionToken>"
		  "<Expiration>tomorrow</Expiration></Credentials></R>",
		  "Expiration" },
		/* Keys outside <Credentials> do not count. */
		{ "<R><AccessKeyId>A</AccessKeyId><SecretAccessKey>" SECRET
		  "</SecretAccessKey><SessionToken>T</SessionToken><Expiration>"
		  "2030-01-01T00:00:00Z</Expiration></R>", "lacks" },
		{ "<R><Credentials><AccessKeyId>A</AccessKeyId>", "not "
		  "well-formed" },
		{ "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\">"
		  "<!ENTITY b \"&a;&a;&a;&a;\">]><r>&b;</r>", "not well-formed" },
		{ "", "not well-formed" },
	};
	struct creds_keys k;
	char err[160];

	memset(&k, 0, sizeof(k));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(creds_parse_sts(cases[i].text,
		    strlen(cases[i].text), &k, err, sizeof(err)), -1);
		if (strstr(err, cases[i].why) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err,
			    cases[i].why);
		assert_null(strstr(err, SECRET));
		assert_null(k.access_key_id);
	}
}

/* ---- command lines ------------------------------------------------------------- */

static void
expect_argv(const char *cmd, const char *const *want)
{
	char **argv = NULL, err[64];
	size_t i;

	assert_int_equal(creds_split_command(cmd, &argv, err, sizeof(err)), 0);
	for (i = 0; want[i] != NULL; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
	creds_argv_free(argv);
}

/* ---- assume-role and IAM Identity Center profiles ----------------------------- */

static const char roles_config[] =
    "[profile admin]\n"
    "role_arn = arn:aws:iam::123456789012:role/admin\n"
    "source_profile = base\n"
    "role_session_name = me\n"
    "external_id = ext-1\n"
    "duration_seconds = 3600\n"
    "mfa_serial = arn:aws:iam::123456789012:mfa/me\n"
    "sts_regional_endpoints = legacy\n"
    "\n"
    "[sso-session corp]\n"
    "sso_start_url = https://corp.awsapps.com/start\n"
    "sso_region = eu-west-1\n"
    "sso_registration_scopes = sso:account:access\n"
    "\n"
    "[sso-session other]\n"
    "sso_start_url = https://other.example/start\n"
    "\n"
    "[profile dev]\n"
    "sso_session = corp\n"
    "sso_account_id = 111122223333\n"
    "sso_role_name = Developer\n"
    "\n"
    "[profile legacy]\n"
    "sso_start_url = https://legacy.example/start\n"
    "sso_region = us-east-2\n"
    "sso_account_id = 111122223333\n"
    "sso_role_name = Developer\n"
    "\n"
    "[profile nosession]\n"
    "sso_session = gone\n";

static void
test_profile_roles(void **state)
{
	struct creds_profile p;

	assert_int_equal(creds_profile_parse(&p, "admin", roles_config, NULL),
	    0);
	assert_true(p.found);
	assert_string_equal(p.role_arn, "arn:aws:iam::123456789012:role/admin");
	assert_string_equal(p.source_profile, "base");
	assert_string_equal(p.role_session_name, "me");
	assert_string_equal(p.external_id, "ext-1");
	assert_string_equal(p.duration_seconds, "3600");
	assert_non_null(p.mfa_serial);
	assert_string_equal(p.sts_regional_endpoints, "legacy");
	assert_null(p.sso_session);
	assert_int_equal(p.keys_from, CREDS_KEYS_NONE);
	creds_profile_free(&p);

	/* sso_session: the section's start URL and region come along, and
	 * only that section's. */
	assert_int_equal(creds_profile_parse(&p, "dev", roles_config, NULL), 0);
	assert_string_equal(p.sso_session, "corp");
	assert_false(p.sso_session_missing);
	assert_string_equal(p.sso_session_start_url,
	    "https://corp.awsapps.com/start");
	assert_string_equal(p.sso_session_region, "eu-west-1");
	assert_string_equal(p.sso_account_id, "111122223333");
	assert_string_equal(p.sso_role_name, "Developer");
	assert_null(p.sso_start_url);
	creds_profile_free(&p);

	assert_int_equal(creds_profile_parse(&p, "legacy", roles_config, NULL),
	    0);
	assert_null(p.sso_session);
	assert_string_equal(p.sso_start_url, "https://legacy.example/start");
	assert_string_equal(p.sso_region, "us-east-2");
	assert_null(p.sso_session_start_url);
	creds_profile_free(&p);

	assert_int_equal(creds_profile_parse(&p, "nosession", roles_config,
	    NULL), 0);
	assert_true(p.sso_session_missing);
	assert_null(p.sso_session_start_url);
	creds_profile_free(&p);

	/* [sso-session corp] is no profile named corp or "sso-session corp". */
	assert_int_equal(creds_profile_parse(&p, "corp", roles_config, NULL),
	    0);
	assert_false(p.found);
	creds_profile_free(&p);
	assert_int_equal(creds_profile_parse(&p, "sso-session corp",
	    roles_config, NULL), 0);
	assert_false(p.found);
	creds_profile_free(&p);
}

/* The environment's keys, as the first provider and credential_source =
 * Environment read them. */
static void
test_keys_from_env(void **state)
{
	struct creds_keys k;
	char err[128];

	memset(&k, 0, sizeof(k));
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_SECURITY_TOKEN");
	unsetenv("AWS_CREDENTIAL_EXPIRATION");
	assert_int_equal(creds_keys_from_env(&k, err, sizeof(err)), 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	assert_int_equal(creds_keys_from_env(&k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "AWS_SECRET_ACCESS_KEY is not"));
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_SECURITY_TOKEN", TOKEN, 1);
	setenv("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:00:00Z", 1);
	assert_int_equal(creds_keys_from_env(&k, err, sizeof(err)), 0);
	assert_string_equal(k.access_key_id, "AKIDENV");
	assert_string_equal(k.session_token, TOKEN);
	assert_int_equal(k.expires, 1893456000);
	creds_keys_clear(&k);
	setenv("AWS_CREDENTIAL_EXPIRATION", "tomorrow", 1);
	assert_int_equal(creds_keys_from_env(&k, err, sizeof(err)), -1);
	assert_null(k.access_key_id);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SECURITY_TOKEN");
	unsetenv("AWS_CREDENTIAL_EXPIRATION");
}

static void
test_split_command(void **state)
{
	char **argv = NULL, err[64];

	expect_argv("/usr/bin/helper", (const char *const[]){
	    "/usr/bin/helper", NULL });
	expect_argv("  aws-vault  export --format=json  ci ",
	    (const char *const[]){ "aws-vault", "export", "--format=json",
	    "ci", NULL });
	expect_argv("\"/opt/my tools/get creds\" 'a b' c\\ d",
	    (const char *const[]){ "/opt/my tools/get creds", "a b", "c d",
	    NULL });
	expect_argv("x \"q\\\"uote\\\\d\\n\" '\\n' ''",
	    (const char *const[]){ "x", "q\"uote\\d\\n", "\\n", "", NULL });
	/* No expansion of any kind. */
	expect_argv("echo $HOME `id` $(id) ~ *",
	    (const char *const[]){ "echo", "$HOME", "`id`", "$(id)", "~", "*",
	    NULL });
	expect_argv("a\"b\"'c'd", (const char *const[]){ "abcd", NULL });
	assert_int_equal(creds_split_command("x 'open", &argv, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "unbalanced"));
	assert_int_equal(creds_split_command("x \"open", &argv, err,
	    sizeof(err)), -1);
	assert_int_equal(creds_split_command("x \\", &argv, err, sizeof(err)),
	    -1);
	assert_int_equal(creds_split_command("   ", &argv, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "empty"));
}

/* ---- profiles ------------------------------------------------------------------ */

static const char config_text[] =
    "# comment\n"
    "[default]\n"
    "region = us-east-1\n"
    "aws_access_key_id = AKIDCFGDEFAULT\n"
    "aws_secret_access_key = cfgdefaultsecret\n"
    "\n"
    "[profile dev]\n"
    "Region = eu-west-1\n"
    "credential_process = /usr/bin/helper --profile dev\n"
    "use_fips_endpoint = TRUE\n"
    "use_dualstack_endpoint = false\n"
    "services = local-ddb\n"
    "s3 =\n"
    "  max_concurrent_requests = 20\n"
    "\n"
    "[dev]\n"
    "region = ap-south-1\n"
    "\n"
    "[services local-ddb]\n"
    "dynamodb =\n"
    "  endpoint_url = http://localhost:8000\n"
    "sts =\n"
    "  endpoint_url = http://localhost:9000\n"
    "\n"
    "[profile ci]\n"
    "role_arn = arn:aws:iam::123456789012:role/ci\n"
    "web_identity_token_file = /var/run/token\n"
    "role_session_name = ci-job\n"
    "endpoint_url = https://ddb.example\n"
    "ignore_configured_endpoint_urls = true\n"
    "ec2_metadata_service_endpoint = http://127.0.0.1:1338\n"
    "ec2_metadata_v1_disabled = true\n"
    "\n"
    "[profile   spaced]\n"
    "region = sa-east-1\n"
    "services = nowhere\n"
    "\n"
    "[sso-session corp]\n"
    "sso_region = us-east-1\n";

static const char credentials_text[] =
    "[default]\n"
    "aws_access_key_id = AKIDCREDDEFAULT\n"
    "aws_secret_access_key = creddefaultsecret\n"
    "\n"
    "[dev]\n"
    "aws_access_key_id=AKIDDEV\n"
    "aws_secret_access_key=devsecret\n"
    "aws_security_token=devtoken\n"
    "\n"
    "[half]\n"
    "aws_access_key_id = AKIDHALF\n";

static void
test_profile_default(void **state)
{
	struct creds_profile p;

	assert_int_equal(creds_profile_parse(&p, "default", config_text,
	    credentials_text), 0);
	assert_true(p.found);
	/* The credentials file wins over the config file's keys. */
	assert_int_equal(p.keys_from, CREDS_KEYS_CREDENTIALS_FILE);
	assert_string_equal(p.keys.access_key_id, "AKIDCREDDEFAULT");
	assert_string_equal(p.keys.secret_access_key, "creddefaultsecret");
	assert_null(p.keys.session_token);
	assert_string_equal(p.region, "us-east-1");
	assert_int_equal(p.use_fips_endpoint, -1);
	creds_profile_free(&p);

	/* Without a credentials file the config file's keys serve. */
	assert_int_equal(creds_profile_parse(&p, "default", config_text, NULL),
	    0);
	assert_int_equal(p.keys_from, CREDS_KEYS_CONFIG_FILE);
	assert_string_equal(p.keys.access_key_id, "AKIDCFGDEFAULT");
	creds_profile_free(&p);
}

static void
test_profile_named(void **state)
{
	struct creds_profile p;

	assert_int_equal(creds_profile_parse(&p, "dev", config_text,
	    credentials_text), 0);
	assert_string_equal(p.keys.access_key_id, "AKIDDEV");
	assert_string_equal(p.keys.session_token, "devtoken");
	/* [profile dev] in config, not the bare [dev] section there. */
	assert_string_equal(p.region, "eu-west-1");
	assert_string_equal(p.credential_process,
	    "/usr/bin/helper --profile dev");
	assert_int_equal(p.use_fips_endpoint, 1);
	assert_int_equal(p.use_dualstack_endpoint, 0);
	assert_string_equal(p.services, "local-ddb");
	assert_false(p.services_missing);
	assert_string_equal(p.services_dynamodb_url, "http://localhost:8000");
	assert_string_equal(p.services_sts_url, "http://localhost:9000");
	assert_null(p.endpoint_url);
	creds_profile_free(&p);

	assert_int_equal(creds_profile_parse(&p, "ci", config_text,
	    credentials_text), 0);
	/* No inheritance from [default]. */
	assert_int_equal(p.keys_from, CREDS_KEYS_NONE);
	assert_null(p.keys.access_key_id);
	assert_null(p.region);
	assert_string_equal(p.role_arn, "arn:aws:iam::123456789012:role/ci");
	assert_string_equal(p.web_identity_token_file, "/var/run/token");
	assert_string_equal(p.role_session_name, "ci-job");
	assert_string_equal(p.endpoint_url, "https://ddb.example");
	assert_int_equal(p.ignore_configured_endpoint_urls, 1);
	assert_string_equal(p.ec2_metadata_service_endpoint,
	    "http://127.0.0.1:1338");
	assert_int_equal(p.ec2_metadata_v1_disabled, 1);
	creds_profile_free(&p);

	assert_int_equal(creds_profile_parse(&p, "spaced", config_text, NULL),
	    0);
	assert_string_equal(p.region, "sa-east-1");
	assert_true(p.services_missing);
	assert_null(p.services_dynamodb_url);
	creds_profile_free(&p);

	/* Half a key pair is no key pair. */
	assert_int_equal(creds_profile_parse(&p, "half", NULL,
	    credentials_text), 0);
	assert_true(p.found);
	assert_int_equal(p.keys_from, CREDS_KEYS_NONE);
	creds_profile_free(&p);

	assert_int_equal(creds_profile_parse(&p, "nosuch", config_text,
	    credentials_text), 0);
	assert_false(p.found);
	creds_profile_free(&p);
}

/* Session tokens are far longer than inih's default 200-byte line. */
static void
test_profile_long_line(void **state)
{
	char token[3001], *text;
	struct creds_profile p;

	memset(token, 'T', sizeof(token) - 1);
	token[sizeof(token) - 1] = '\0';
	assert_true(asprintf(&text, "[default]\naws_access_key_id = A\n"
	    "aws_session_token = %s\naws_secret_access_key = S\n", token) > 0);
	assert_int_equal(creds_profile_parse(&p, "default", NULL, text), 0);
	assert_string_equal(p.keys.session_token, token);
	assert_string_equal(p.keys.secret_access_key, "S");
	creds_profile_free(&p);
	free(text);
}

/* ---- endpoints ----------------------------------------------------------------- */

static void
test_default_endpoint(void **state)
{
	static const struct {
		const char *service, *region;
		bool fips, dualstack;
		const char *want; /* NULL: an error */
	} cases[] = {
		{ "dynamodb", "us-east-1", false, false,
		  "https://dynamodb.us-east-1.amazonaws.com" },
		{ "dynamodb", "us-east-1", true, false,
		  "https://dynamodb-fips.us-east-1.amazonaws.com" },
		{ "dynamodb", "us-east-1", false, true,
		  "https://dynamodb.us-east-1.api.aws" },
		{ "dynamodb", "us-east-1", true, true,
		  "https://dynamodb-fips.us-east-1.api.aws" },
		{ "dynamodb", "eu-central-2", false, false,
		  "https://dynamodb.eu-central-2.amazonaws.com" },
		{ "dynamodb", "cn-north-1", false, false,
		  "https://dynamodb.cn-north-1.amazonaws.com.cn" },
		{ "dynamodb", "cn-northwest-1", false, true,
		  "https://dynamodb.cn-northwest-1.api.amazonwebservices.com.cn" },
		{ "dynamodb", "cn-north-1", true, false,
		  "https://dynamodb-fips.cn-north-1.amazonaws.com.cn" },
		{ "dynamodb", "us-gov-west-1", false, false,
		  "https://dynamodb.us-gov-west-1.amazonaws.com" },
		{ "dynamodb", "us-gov-west-1", true, false,
		  "https://dynamodb.us-gov-west-1.amazonaws.com" },
		{ "dynamodb", "us-gov-east-1", true, true,
		  "https://dynamodb-fips.us-gov-east-1.api.aws" },
		{ "dynamodb", "us-gov-east-1", false, true,
		  "https://dynamodb.us-gov-east-1.api.aws" },
		{ "dynamodb", "us-iso-east-1", false, false,
		  "https://dynamodb.us-iso-east-1.c2s.ic.gov" },
		{ "dynamodb", "us-iso-east-1", true, false,
		  "https://dynamodb-fips.us-iso-east-1.c2s.ic.gov" },
		{ "dynamodb", "us-iso-east-1", false, true, NULL },
		{ "dynamodb", "us-isob-east-1", false, false,
		  "https://dynamodb.us-isob-east-1.sc2s.sgov.gov" },
		{ "dynamodb", "eu-isoe-west-1", false, false,
		  "https://dynamodb.eu-isoe-west-1.cloud.adc-e.uk" },
		{ "dynamodb", "us-isof-south-1", true, true, NULL },
		{ "dynamodb", "local", false, false, "http://localhost:8000" },
		{ "dynamodb", "local", true, false, NULL },
		{ "sts", "eu-west-1", false, false,
		  "https://sts.eu-west-1.amazonaws.com" },
		{ "sts", "cn-north-1", false, false,
		  "https://sts.cn-north-1.amazonaws.com.cn" },
	};
	char buf[128], err[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = config_default_endpoint(cases[i].service,
		    cases[i].region, cases[i].fips, cases[i].dualstack, buf,
		    sizeof(buf), err, sizeof(err));

		if (cases[i].want == NULL) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(buf, cases[i].want);
	}
}

static void
test_url_allowed(void **state)
{
	static const char *const imds[] = { "169.254.169.254",
		"[fd00:ec2::254]", NULL };
	struct config cfg;
	char err[160];

	memset(&cfg, 0, sizeof(cfg));
	assert_true(config_url_allowed(&cfg, "https://sts.amazonaws.com", NULL,
	    err, sizeof(err)));
	assert_true(config_url_allowed(&cfg, "http://127.0.0.1:8000/x", NULL,
	    err, sizeof(err)));
	assert_true(config_url_allowed(&cfg, "http://localhost/", NULL, err,
	    sizeof(err)));
	assert_true(config_url_allowed(&cfg, "http://[::1]:1/", NULL, err,
	    sizeof(err)));
	assert_true(config_url_allowed(&cfg, "http://169.254.169.254", imds,
	    err, sizeof(err)));
	assert_true(config_url_allowed(&cfg, "http://[fd00:ec2::254]/", imds,
	    err, sizeof(err)));
	assert_false(config_url_allowed(&cfg, "http://169.254.169.254", NULL,
	    err, sizeof(err)));
	assert_false(config_url_allowed(&cfg, "http://sts.example.com/", imds,
	    err, sizeof(err)));
	assert_non_null(strstr(err, "--allow-insecure-http"));
	assert_false(config_url_allowed(&cfg, "ftp://127.0.0.1/", NULL, err,
	    sizeof(err)));
	assert_false(config_url_allowed(&cfg, "not a url", NULL, err,
	    sizeof(err)));
	cfg.insecure_ok = true;
	assert_true(config_url_allowed(&cfg, "http://sts.example.com/", NULL,
	    err, sizeof(err)));
}

/* ---- resolution order (config_load) ------------------------------------------- */

static char config_path[] = "/tmp/test_creds_config.XXXXXX";

static const char *const resolve_vars[] = {
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE",
	"AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB",
	"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_USE_FIPS_ENDPOINT",
	"AWS_USE_DUALSTACK_ENDPOINT",
};

static int
resolve_setup(void **state)
{
	int fd = mkstemp(config_path);
	static const char text[] =
	    "[profile svc]\n"
	    "region = ap-south-1\n"
	    "endpoint_url = http://127.0.0.1:4\n"
	    "services = s\n"
	    "[profile plain]\n"
	    "region = ca-central-1\n"
	    "endpoint_url = http://127.0.0.1:5\n"
	    "[profile fips]\n"
	    "region = us-west-2\n"
	    "use_fips_endpoint = true\n"
	    "[profile ignore]\n"
	    "region = eu-north-1\n"
	    "endpoint_url = http://127.0.0.1:6\n"
	    "ignore_configured_endpoint_urls = true\n"
	    "[services s]\n"
	    "dynamodb =\n"
	    "  endpoint_url = http://127.0.0.1:3\n";

	if (fd < 0 || write(fd, text, sizeof(text) - 1) !=
	    (ssize_t)(sizeof(text) - 1))
		return -1;
	close(fd);
	return 0;
}

static int
resolve_teardown(void **state)
{
	unlink(config_path);
	return 0;
}

static void
resolve_clear(void)
{
	for (size_t i = 0; i < sizeof(resolve_vars) / sizeof(resolve_vars[0]);
	    i++)
		unsetenv(resolve_vars[i]);
	setenv("HOME", "/nonexistent-home-for-tests", 1);
	setenv("AWS_CONFIG_FILE", config_path, 1);
}

/* config_load with extra args; NULL endpoint expected means it fails. */
static void
expect_resolve(const char *flag_endpoint, const char *flag_region,
    const char *want_endpoint, const char *want_region)
{
	char *argv[8];
	int argc = 0;
	struct config cfg;
	int rc;

	argv[argc++] = (char *)"dyntabled";
	if (flag_endpoint != NULL) {
		argv[argc++] = (char *)"--endpoint";
		argv[argc++] = (char *)flag_endpoint;
	}
	if (flag_region != NULL) {
		argv[argc++] = (char *)"--region";
		argv[argc++] = (char *)flag_region;
	}
	argv[argc] = NULL;
	rc = config_load(&cfg, argc, argv);
	if (want_endpoint == NULL) {
		assert_int_equal(rc, -1);
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(cfg.endpoint, want_endpoint);
	assert_string_equal(cfg.region, want_region);
	config_free(&cfg);
}

static void
test_resolve_order(void **state)
{
	resolve_clear();
	/* Nothing at all: no region, no endpoint. */
	expect_resolve(NULL, NULL, NULL, NULL);
	expect_resolve(NULL, "eu-west-1",
	    "https://dynamodb.eu-west-1.amazonaws.com", "eu-west-1");
	/* An emulator without a region signs as us-east-1. */
	expect_resolve("http://127.0.0.1:8000", NULL, "http://127.0.0.1:8000",
	    "us-east-1");

	/* Region: flag, AWS_REGION, AWS_DEFAULT_REGION, profile. */
	setenv("AWS_PROFILE", "plain", 1);
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	expect_resolve(NULL, NULL, "https://dynamodb.ca-central-1.amazonaws.com",
	    "ca-central-1");
	setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
	expect_resolve(NULL, NULL, "https://dynamodb.us-west-1.amazonaws.com",
	    "us-west-1");
	setenv("AWS_REGION", "us-east-2", 1);
	expect_resolve(NULL, NULL, "https://dynamodb.us-east-2.amazonaws.com",
	    "us-east-2");
	expect_resolve(NULL, "eu-west-3",
	    "https://dynamodb.eu-west-3.amazonaws.com", "eu-west-3");
	/* The flag wins even over the ignore setting. */
	expect_resolve("http://127.0.0.1:9", NULL, "http://127.0.0.1:9",
	    "us-east-2");

	/* Endpoint: flag, _DYNAMODB, global, services, profile. */
	resolve_clear();
	setenv("AWS_PROFILE", "svc", 1);
	expect_resolve(NULL, NULL, "http://127.0.0.1:3", "ap-south-1");
	setenv("AWS_PROFILE", "plain", 1);
	expect_resolve(NULL, NULL, "http://127.0.0.1:5", "ca-central-1");
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2", 1);
	expect_resolve(NULL, NULL, "http://127.0.0.1:2", "ca-central-1");
	setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1", 1);
	expect_resolve(NULL, NULL, "http://127.0.0.1:1", "ca-central-1");
	expect_resolve("http://127.0.0.1:7", NULL, "http://127.0.0.1:7",
	    "ca-central-1");
	/* The environment's "false" beats the profile's "true". */
	setenv("AWS_PROFILE", "ignore", 1);
	expect_resolve(NULL, NULL, "https://dynamodb.eu-north-1.amazonaws.com",
	    "eu-north-1");
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", 1);
	expect_resolve(NULL, NULL, "http://127.0.0.1:1", "eu-north-1");

	/* FIPS and dual-stack pick the default host; a custom one is an
	 * error with them. */
	resolve_clear();
	setenv("AWS_PROFILE", "fips", 1);
	expect_resolve(NULL, NULL, "https://dynamodb-fips.us-west-2.amazonaws.com",
	    "us-west-2");
	setenv("AWS_USE_DUALSTACK_ENDPOINT", "true", 1);
	expect_resolve(NULL, NULL, "https://dynamodb-fips.us-west-2.api.aws",
	    "us-west-2");
	setenv("AWS_USE_FIPS_ENDPOINT", "false", 1);
	expect_resolve(NULL, NULL, "https://dynamodb.us-west-2.api.aws",
	    "us-west-2");
	expect_resolve("http://127.0.0.1:7", NULL, NULL, NULL);
	setenv("AWS_ENDPOINT_URL", "https://ddb.example", 1);
	expect_resolve(NULL, NULL, NULL, NULL);

	/* Plain http away from loopback; region "local". */
	resolve_clear();
	expect_resolve("http://192.0.2.1:8000", "us-east-1", NULL, NULL);
	expect_resolve(NULL, "local", "http://localhost:8000", "us-east-1");
	expect_resolve(NULL, "Bad_Region", NULL, NULL);
	setenv("AWS_PROFILE", "spaced-missing", 1);
	expect_resolve(NULL, "us-east-1",
	    "https://dynamodb.us-east-1.amazonaws.com", "us-east-1");
}

/* ---- wiping ---------------------------------------------------------------------- */

static void
test_secure_realloc(void **state)
{
	char *p = creds_secure_realloc(NULL, 8);

	assert_non_null(p);
	memcpy(p, "secret!", 8);
	p = creds_secure_realloc(p, 4096);
	assert_non_null(p);
	assert_string_equal(p, "secret!");
	p = creds_secure_realloc(p, 4);
	assert_non_null(p);
	assert_memory_equal(p, "secr", 4);
	creds_secure_free(p);
	creds_secure_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_json_process),
		cmocka_unit_test(test_json_bad),
		cmocka_unit_test(test_json_container_imds),
		cmocka_unit_test(test_sts_ok),
		cmocka_unit_test(test_sts_bad),
		cmocka_unit_test(test_split_command),
		cmocka_unit_test(test_profile_roles),
		cmocka_unit_test(test_keys_from_env),
		cmocka_unit_test(test_profile_default),
		cmocka_unit_test(test_profile_named),
		cmocka_unit_test(test_profile_long_line),
		cmocka_unit_test(test_default_endpoint),
		cmocka_unit_test(test_url_allowed),
		cmocka_unit_test_setup_teardown(test_resolve_order,
		    resolve_setup, resolve_teardown),
		cmocka_unit_test(test_secure_realloc),
	};

	log_init(LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
