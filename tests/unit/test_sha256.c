/* Check suite for sha256.c: the FIPS 180-4 test vectors, and a long input
 * fed in uneven pieces equals the same input at once. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

START_TEST(the_standard_vectors)
{
    char out[CW_SHA256_HEX_SIZE];
    cw_sha256_hex("", 0, out);
    ck_assert_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cw_sha256_hex("abc", 3, out);
    ck_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    cw_sha256_hex(two_blocks, strlen(two_blocks), out);
    ck_assert_str_eq(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(a_million_as_in_pieces_or_at_once)
{
    size_t len = 1000000;
    char *a = malloc(len);
    memset(a, 'a', len);
    char whole[CW_SHA256_HEX_SIZE];
    cw_sha256_hex(a, len, whole);
    ck_assert_str_eq(whole, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    cw_sha256_t ctx;
    uint8_t digest[32];
    cw_sha256_init(&ctx);
    for (size_t done = 0, piece = 1; done < len; done += piece, piece = piece * 3 % 1000 + 1)
        cw_sha256_update(&ctx, a + done, done + piece > len ? len - done : piece);
    cw_sha256_final(&ctx, digest);
    ck_assert_uint_eq(digest[0], 0xcd);
    ck_assert_uint_eq(digest[31], 0xd0);
    free(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("digest");
    tcase_add_test(tc, the_standard_vectors);
    tcase_add_test(tc, a_million_as_in_pieces_or_at_once);
    suite_add_tcase(s, tc);
    SRunner *runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
