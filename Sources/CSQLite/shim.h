#include <sqlite3.h>
#include <sys/stat.h>

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

/// The ledger's VFS: the system's "unix" VFS, except that a write-ahead log that already exists
/// is opened without SQLITE_OPEN_CREATE. SQLite marks a log it opened with the create flag as
/// new and syncs its directory on the first commit, so every short-lived process paid a
/// directory fsync on top of its own commits although the log (kept by
/// SQLITE_FCNTL_PERSIST_WAL) was never new. Everything else is the unix VFS's own code.
static sqlite3_vfs *csqlite_base_vfs(void) {
    static sqlite3_vfs *base = 0;
    if (!base) base = sqlite3_vfs_find("unix");
    return base;
}

static int csqlite_ledger_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out) {
    sqlite3_vfs *base = csqlite_base_vfs();
    if ((flags & SQLITE_OPEN_WAL) && (flags & SQLITE_OPEN_CREATE) && name) {
        /* Only a log that holds frames: some writer committed to it, and that writer's first
           commit synced the directory. An empty one may have been made by a process that never
           committed, so its directory entry is synced as SQLite would. */
        struct stat st;
        if (stat(name, &st) == 0 && st.st_size > 0) {
            int rc = base->xOpen(base, name, file, flags & ~SQLITE_OPEN_CREATE, out);
            if (rc == SQLITE_OK) return rc;  /* else it vanished meanwhile: create it as usual */
        }
    }
    return base->xOpen(base, name, file, flags, out);
}
static int csqlite_ledger_delete(sqlite3_vfs *vfs, const char *name, int sync) { sqlite3_vfs *b = csqlite_base_vfs(); return b->xDelete(b, name, sync); }
static int csqlite_ledger_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) { sqlite3_vfs *b = csqlite_base_vfs(); return b->xAccess(b, name, flags, out); }
static int csqlite_ledger_full_pathname(sqlite3_vfs *vfs, const char *name, int size, char *out) { sqlite3_vfs *b = csqlite_base_vfs(); return b->xFullPathname(b, name, size, out); }
static void *csqlite_ledger_dlopen(sqlite3_vfs *vfs, const char *name) { sqlite3_vfs *b = csqlite_base_vfs(); return b->xDlOpen(b, name); }
static void csqlite_ledger_dlerror(sqlite3_vfs *vfs, int size, char *out) { sqlite3_vfs *b = csqlite_base_vfs(); b->xDlError(b, size, out); }
static void (*csqlite_ledger_dlsym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void) { sqlite3_vfs *b = csqlite_base_vfs(); return b->xDlSym(b, handle, symbol); }
static void csqlite_ledger_dlclose(sqlite3_vfs *vfs, void *handle) { sqlite3_vfs *b = csqlite_base_vfs(); b->xDlClose(b, handle); }
static int csqlite_ledger_randomness(sqlite3_vfs *vfs, int size, char *out) { sqlite3_vfs *b = csqlite_base_vfs(); return b->xRandomness(b, size, out); }
static int csqlite_ledger_sleep(sqlite3_vfs *vfs, int microseconds) { sqlite3_vfs *b = csqlite_base_vfs(); return b->xSleep(b, microseconds); }
static int csqlite_ledger_current_time(sqlite3_vfs *vfs, double *out) { sqlite3_vfs *b = csqlite_base_vfs(); return b->xCurrentTime(b, out); }
static int csqlite_ledger_last_error(sqlite3_vfs *vfs, int size, char *out) { sqlite3_vfs *b = csqlite_base_vfs(); return b->xGetLastError(b, size, out); }
static int csqlite_ledger_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out) { sqlite3_vfs *b = csqlite_base_vfs(); return b->xCurrentTimeInt64(b, out); }

/// Registers the ledger's VFS once (not as the default) and returns its name.
static inline const char *csqlite_ledger_vfs(void) {
    static sqlite3_vfs vfs;
    static int registered = 0;
    if (!registered) {
        sqlite3_vfs *base = csqlite_base_vfs();
        vfs.iVersion = 2;
        vfs.szOsFile = base->szOsFile;
        vfs.mxPathname = base->mxPathname;
        vfs.zName = "kling-ledger";
        vfs.xOpen = csqlite_ledger_open;
        vfs.xDelete = csqlite_ledger_delete;
        vfs.xAccess = csqlite_ledger_access;
        vfs.xFullPathname = csqlite_ledger_full_pathname;
        vfs.xDlOpen = csqlite_ledger_dlopen;
        vfs.xDlError = csqlite_ledger_dlerror;
        vfs.xDlSym = csqlite_ledger_dlsym;
        vfs.xDlClose = csqlite_ledger_dlclose;
        vfs.xRandomness = csqlite_ledger_randomness;
        vfs.xSleep = csqlite_ledger_sleep;
        vfs.xCurrentTime = csqlite_ledger_current_time;
        vfs.xGetLastError = csqlite_ledger_last_error;
        vfs.xCurrentTimeInt64 = csqlite_ledger_current_time_int64;
        sqlite3_vfs_register(&vfs, 0);
        registered = 1;
    }
    return vfs.zName;
}
