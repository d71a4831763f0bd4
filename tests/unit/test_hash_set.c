/*
 * test_hash_set.c - the generic hash set (src/common/hash_set.c) and its two front ends: inserts
 * and finds across many growths, keys whose 64-bit hashes collide, absent keys, a key that is not
 * at the start of the slot, iteration, and the paths that allocate nothing (find, walk and free
 * on an empty set, reuse after free).
 */
#include "testutil.h"

#include <stdint.h>
#include <string.h>

#include "common/hash_set.h"
#include "pack/dedup_table.h"
#include "read/block_set.h"

typedef struct {
    uint32_t tag; /* payload before the key: the key need not start the slot */
    uint64_t key;
    uint64_t payload;
} test_slot;

static uint64_t mixed_hash(const void *key)
{
    uint64_t k;
    memcpy(&k, key, sizeof k);
    return k * 0x9E3779B97F4A7C15ull;
}

/* Every key hashes to one of four values: long probe runs that wrap around the array. */
static uint64_t colliding_hash(const void *key)
{
    uint64_t k;
    memcpy(&k, key, sizeof k);
    return (k % 4) * 0x5555555555555555ull;
}

static void init_set(hx_hash_set *s, hx_hash_set_hash_fn fn)
{
    hx_hash_set_init(s, sizeof(test_slot), offsetof(test_slot, key), sizeof(uint64_t), fn,
                     "out of memory for %zu test slots");
}

static void fill_and_check(hx_hash_set_hash_fn fn, uint64_t n)
{
    hx_hash_set s;
    init_set(&s, fn);
    for (uint64_t i = 0; i < n; i++) {
        test_slot t = {.tag = (uint32_t)i, .key = i * 7 + 1, .payload = ~i};
        assert_null(hx_hash_set_find(&s, &t.key));
        assert_int_equal(hx_hash_set_insert(&s, &t), 0);
        assert_int_equal(s.count, i + 1);
        assert_true(s.count * 4 <= s.capacity * 3);
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t key = i * 7 + 1;
        const test_slot *t = hx_hash_set_find(&s, &key);
        assert_non_null(t);
        assert_int_equal(t->key, key);
        assert_int_equal(t->tag, (uint32_t)i);
        assert_int_equal(t->payload, ~i);
        uint64_t absent = i * 7 + 2;
        assert_null(hx_hash_set_find(&s, &absent));
    }
    hx_hash_set_free(&s);
}

static void test_grow_past_several_resizes(void **state)
{
    (void)state;
    /* 1024 slots first; 100,000 entries take seven doublings. */
    fill_and_check(mixed_hash, 100000);
}

static void test_colliding_hashes(void **state)
{
    (void)state;
    fill_and_check(colliding_hash, 3000);
}

static void test_walk_sees_every_slot_once(void **state)
{
    (void)state;
    hx_hash_set s;
    init_set(&s, colliding_hash);
    enum { N = 2500 };
    static uint8_t seen[N];
    memset(seen, 0, sizeof seen);
    for (uint64_t i = 0; i < N; i++) {
        test_slot t = {.key = i, .payload = i + 100};
        assert_int_equal(hx_hash_set_insert(&s, &t), 0);
    }
    size_t pos = 0, walked = 0;
    for (const test_slot *t; (t = hx_hash_set_next(&s, &pos)) != NULL; walked++) {
        assert_true(t->key < N);
        assert_int_equal(t->payload, t->key + 100);
        assert_int_equal(seen[t->key], 0);
        seen[t->key] = 1;
    }
    assert_int_equal(walked, N);
    hx_hash_set_free(&s);
}

static void test_empty_set_allocates_nothing(void **state)
{
    (void)state;
    hx_hash_set s;
    init_set(&s, mixed_hash);
    uint64_t key = 42;
    assert_null(hx_hash_set_find(&s, &key));
    size_t pos = 0;
    assert_null(hx_hash_set_next(&s, &pos));
    assert_null(s.slots);
    assert_int_equal(s.capacity, 0);
    hx_hash_set_free(&s);
    hx_hash_set_free(&s);
    /* Reusable after free. */
    test_slot t = {.key = key, .payload = 1};
    assert_int_equal(hx_hash_set_insert(&s, &t), 0);
    assert_non_null(hx_hash_set_find(&s, &key));
    hx_hash_set_free(&s);
    assert_null(hx_hash_set_find(&s, &key));
    assert_int_equal(s.count, 0);
}

static void test_dedup_front_end(void **state)
{
    (void)state;
    hx_dedup_table t;
    hx_dedup_init(&t);
    uint8_t hash[HX_HASH_LEN];
    for (uint32_t i = 0; i < 5000; i++) {
        hx_dedup_slot slot = {.stored_offset = i, .stored_length = i + 1};
        memset(slot.hash, 0xAB, HX_HASH_LEN);
        memcpy(slot.hash + 8, &i, sizeof i); /* the first 8 bytes (the index) are all equal */
        if (i % 2) slot.used = HX_DEDUP_BASE;
        assert_int_equal(hx_dedup_insert(&t, &slot), 0);
    }
    memset(hash, 0xAB, HX_HASH_LEN);
    for (uint32_t i = 0; i < 5000; i += 499) {
        memcpy(hash + 8, &i, sizeof i);
        const hx_dedup_slot *s = hx_dedup_find(&t, hash);
        assert_non_null(s);
        assert_int_equal(s->stored_offset, i);
        assert_int_equal(s->used, i % 2 ? HX_DEDUP_BASE : HX_DEDUP_STORED);
    }
    uint32_t absent = 5000;
    memcpy(hash + 8, &absent, sizeof absent);
    assert_null(hx_dedup_find(&t, hash));
    size_t pos = 0, n = 0;
    while (hx_dedup_next(&t, &pos)) n++;
    assert_int_equal(n, 5000);
    hx_dedup_free(&t);
}

static void test_block_set_front_end(void **state)
{
    (void)state;
    hx_block_set s;
    hx_block_set_init(&s);
    for (uint64_t i = 0; i < 4000; i++) {
        hx_block_entry e = {
            .stored_offset = 128 + i * 65536, .logical_length = 4096, .stored_length = (uint32_t)i};
        assert_null(hx_block_set_find(&s, e.stored_offset));
        assert_int_equal(hx_block_set_add(&s, &e), 0);
    }
    for (uint64_t i = 0; i < 4000; i++) {
        const hx_block_entry *e = hx_block_set_find(&s, 128 + i * 65536);
        assert_non_null(e);
        assert_int_equal(e->stored_length, (uint32_t)i);
        assert_null(hx_block_set_find(&s, 129 + i * 65536));
    }
    hx_block_set_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_past_several_resizes),
        cmocka_unit_test(test_colliding_hashes),
        cmocka_unit_test(test_walk_sees_every_slot_once),
        cmocka_unit_test(test_empty_set_allocates_nothing),
        cmocka_unit_test(test_dedup_front_end),
        cmocka_unit_test(test_block_set_front_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
