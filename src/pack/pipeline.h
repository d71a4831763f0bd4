/*
 * pipeline.h - the parallel half of packing.
 *
 *   caller (reads, chunks) --submit--> ring of slots --> N workers (zero check, BLAKE3,
 *   compress, XXH3) --> one writer thread (in input order: dedup, write, index)
 *
 * The ring has a fixed number of slots, each with buffers for one maximum-size chunk and its
 * compressed form, allocated once: memory is bounded by the slot count, never by the input, and
 * the hot path allocates nothing. A slot moves FREE -> FILLED (caller) -> DONE (a worker) ->
 * FREE (the writer thread, strictly in submission order), so the archive's bytes are the same
 * whatever the number of workers. The first error anywhere stops every stage; its message is
 * kept here because error messages are per thread. The workers and the writer thread are the
 * threads of one pool (common/thread_pool.h), owned by the pipeline.
 */
#ifndef HX_PIPELINE_H
#define HX_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

typedef struct hx_pipeline hx_pipeline;
struct hexz_writer;

/* Starts `workers` (>= 1) worker threads and the writer thread for writer `w`. */
int hx_pipeline_start(hx_pipeline **out, struct hexz_writer *w, unsigned workers);
/* Copies a chunk of `stream` into a free slot (waiting for one) and queues it. `data` NULL
 * queues a run of `len` zero bytes (a hole) without copying anything. */
int hx_pipeline_submit(hx_pipeline *p, uint32_t stream, const uint8_t *data, size_t len);
/* Waits until every submitted chunk is written; returns the first error of any stage. */
int hx_pipeline_drain(hx_pipeline *p);
/* Stops and joins all threads (abandoning queued work) and frees the pipeline. */
void hx_pipeline_free(hx_pipeline *p);

#endif
