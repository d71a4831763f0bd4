/*
 * verify_signed.c - what a downloader does before trusting an archive: checks that a
 * signature by the given public key covers it, then checks every page and block against the
 * signed root hash. Usage: verify_signed ARCHIVE PUBLIC_KEY_FILE
 */
#include <inttypes.h>
#include <stdio.h>

#include <hexz.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: verify_signed ARCHIVE PUBLIC_KEY_FILE\n");
        return 2;
    }
    uint8_t key[HEXZ_PUBLIC_KEY_LEN];
    hexz_reader *r = NULL;
    hexz_signature_info sig = HEXZ_SIGNATURE_INFO_INIT;
    int rc = hexz_public_key_load(argv[2], key);
    if (!rc) rc = hexz_reader_open(&r, argv[1]);
    if (!rc) rc = hexz_reader_verify_signature(r, key, &sig);
    if (!rc) rc = hexz_reader_verify(r, NULL, NULL);
    if (!rc)
        printf("%s: good signature (signed at %" PRId64 ", comment \"%s\"), content intact\n",
               argv[1], sig.signed_at, sig.comment);
    else fprintf(stderr, "verify_signed: %s: %s\n", hexz_strerror(rc), hexz_last_error());
    hexz_reader_free(r);
    return rc ? 1 : 0;
}
