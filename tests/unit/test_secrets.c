/* Check suite for secrets.c: which config values are secrets, and the
 * names (never the values) the permission warning gives for a config. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "secrets.h"

#define MINIMAL "[kafka]\nbrokers = 127.0.0.1:9092\n"

static cw_config_t *parse(const char *text)
{
    cw_errlist_t errs = CW_ERRLIST_INIT;
    cw_config_t *config = NULL;
    int rc = cw_config_parse(text, strlen(text), "/etc/cw/cdrwarn.conf", &config, &errs);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, cw_errlist_text(&errs));
    cw_errlist_free(&errs);
    return config;
}

START_TEST(passwords_secrets_and_private_keys_are_secret_properties)
{
    static const char *const secret[] = {
        "sasl.password",         "ssl.key.password",
        "ssl.keystore.password", "sasl.oauthbearer.client.secret",
        "ssl.key.pem",           "SASL.PASSWORD",
        "some.future.secret.id",
    };
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        ck_assert_msg(cw_secrets_property(secret[i]), "%s not taken for a secret",
                      secret[i]);
}
END_TEST

START_TEST(names_paths_and_public_material_are_not_secret)
{
    static const char *const plain[] = {
        "sasl.username",        "sasl.mechanisms",     "security.protocol",
        "ssl.key.location",     "ssl.certificate.pem", "ssl.ca.pem",
        "sasl.kerberos.keytab", "session.timeout.ms",  "",
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        ck_assert_msg(!cw_secrets_property(plain[i]), "%s taken for a secret", plain[i]);
}
END_TEST

START_TEST(a_config_without_secrets_names_none)
{
    cw_config_t *c = parse(MINIMAL "property.sasl.username = alice\n"
                                   "[redis]\npassword_file = /etc/cw/redis.secret\n");
    char out[256] = "x";
    ck_assert_int_eq(cw_secrets_in_config(c, out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    cw_config_free(c);
}
END_TEST

START_TEST(every_secret_of_the_config_is_named_and_no_value)
{
    cw_config_t *c = parse(MINIMAL "property.sasl.username = alice\n"
                                   "property.sasl.password = hunter2\n"
                                   "property.ssl.key.pem = -----BEGIN PRIVATE KEY-----\n"
                                   "[redis]\npassword = s3cret\n");
    char out[256];
    ck_assert_int_eq(cw_secrets_in_config(c, out, sizeof out), 3);
    ck_assert_str_eq(out, "the Redis password, [kafka] property.sasl.password, "
                          "[kafka] property.ssl.key.pem");
    ck_assert_ptr_null(strstr(out, "hunter2"));
    cw_config_free(c);
}
END_TEST

START_TEST(names_that_do_not_fit_are_cut_with_an_ellipsis)
{
    cw_config_t *c = parse(MINIMAL "property.sasl.password = hunter2\n"
                                   "[redis]\npassword = s3cret\n");
    char out[24];
    ck_assert_int_eq(cw_secrets_in_config(c, out, sizeof out), 2);
    ck_assert_str_eq(out, "the Redis password, ...");
    cw_config_free(c);
}
END_TEST

static Suite *secrets_suite(void)
{
    Suite *s = suite_create("secrets");
    TCase *rule = tcase_create("rule");
    tcase_add_test(rule, passwords_secrets_and_private_keys_are_secret_properties);
    tcase_add_test(rule, names_paths_and_public_material_are_not_secret);
    suite_add_tcase(s, rule);
    TCase *config = tcase_create("config");
    tcase_add_test(config, a_config_without_secrets_names_none);
    tcase_add_test(config, every_secret_of_the_config_is_named_and_no_value);
    tcase_add_test(config, names_that_do_not_fit_are_cut_with_an_ellipsis);
    suite_add_tcase(s, config);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(secrets_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
