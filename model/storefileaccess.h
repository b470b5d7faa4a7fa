#pragma once

#include <QString>

namespace es {

// Whether this process may write a store file and the journal SQLite keeps
// beside it, found with access(2) and stat(2) only: nothing here opens the
// file (closing any descriptor of a store would drop this process's SQLite
// locks on it; see GROUND.md).
struct StoreFileAccess {
    bool exists = false;
    bool isDirectory = false;
    qint64 size = 0;
    bool writable = true;   // the file, and its -wal/-shm (or the directory, to create them)
    QString whyNotWritable; // in the user's terms, when not writable
    // The write-ahead log holds commits not yet copied into the file: a reader
    // must read it (SQLite's immutable mode would not).
    bool walHasContent = false;

    static StoreFileAccess probe(const QString &path);
};

// The SQLite URI that opens `path` read-only without locks and without
// creating -wal/-shm (immutable=1). Only for a file nobody can be writing.
QString immutableSqliteUri(const QString &path);

} // namespace es
