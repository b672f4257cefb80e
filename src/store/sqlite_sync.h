/* store/sqlite_sync: group commit for the SQLite backend (internal to src/store).
 *
 * The loop's connection commits with synchronous=NORMAL: a commit is written to the WAL
 * (the OS page cache) and returns without an fsync. A syncer thread then makes the WAL
 * durable with fdatasync() on its own descriptor of the -wal file, one call for every
 * commit made since the last one, and tells the loop through a pipe; callers that must
 * not acknowledge anything before it is on disk wait for that (sq_sync_wait). The same
 * thread runs the WAL checkpoints (PASSIVE, on its own connection) that SQLite would
 * otherwise run inside a commit on the loop. */
#ifndef STORE_SQLITE_SYNC_H
#define STORE_SQLITE_SYNC_H

#include "store/store.h"

#include <stdint.h>

struct event_base;
struct sq_sync;

/* Starts the syncer for the database at db_path whose WAL is wal_path. NULL with a
 * sentence in err on failure. */
struct sq_sync *sq_sync_start(struct event_base *base, const char *db_path, const char *wal_path,
                              char *err, size_t errlen);
/* Loop: a commit is in the WAL, which now holds wal_pages pages (sqlite3_wal_hook). */
void sq_sync_committed(struct sq_sync *y, int wal_pages);
/* Loop: commits made so far (a sequence number, 0 before the first). */
uint64_t sq_sync_commit_seq(const struct sq_sync *y);
/* Loop: 1 when commits up to seq are durable; 0 when fn(data, durable) will be called
 * from the loop once they are (durable = 0 if the WAL could not be synced); -1 when an
 * earlier sync failed, so nothing more can be promised. */
int sq_sync_wait(struct sq_sync *y, uint64_t seq, store_durable_fn fn, void *data);
/* Loop: counts so far. */
void sq_sync_stats(const struct sq_sync *y, struct store_sync_stats *out);
/* Loop: syncs what is left, calls every waiter, joins the thread and frees y. */
void sq_sync_stop(struct sq_sync *y);

#endif
