#include <sqlite3.h>

/// `SQLITE_TRANSIENT` is a macro around a function-pointer cast that Swift cannot import:
/// it tells SQLite to copy bound text and blobs before `sqlite3_bind_*` returns.
static inline sqlite3_destructor_type csqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

/// Turns off double-quoted string literals (`"abc"` read as a string when no such column
/// exists), which hide typos in column names. `sqlite3_db_config` is variadic: Swift cannot
/// call it directly.
static inline void csqlite_disable_double_quoted_strings(sqlite3 *db) {
    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (void *)0);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (void *)0);
}

/// Leaves the WAL unmerged when a connection closes: the next writer or an automatic
/// checkpoint folds it in. A short-lived process then syncs only its own commits.
static inline void csqlite_no_checkpoint_on_close(sqlite3 *db) {
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (void *)0);
}
